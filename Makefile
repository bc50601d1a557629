# policykg — the front door. `make serve` and `make test` work on a fresh machine.
PYTHON ?= python3
VENV   ?= .venv
PY      = $(VENV)/bin/python
PKG     = $(VENV)/bin/policykg
DATA    = build/policykg.trig
HOST   ?= 127.0.0.1
PORT   ?= 8000
PYTEST_ARGS ?=
BENCH_ARGS ?=
MUTATE_ARGS ?=

SOURCES = $(wildcard loader/sources/*.txt) $(wildcard loader/annotations/*) \
          $(wildcard ontology/*.ttl) $(wildcard loader/*.py) $(wildcard ontology/*.py) $(wildcard policykg/*.py)

.PHONY: serve test check mutate bench soak build install assets browser servers clean docs

# A virtualenv with the package (editable): what serving needs, and nothing else.
$(VENV)/.runtime: setup.cfg pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "policykg needs Python 3.11 or newer"'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip setuptools wheel
	$(PY) -m pip install --quiet -e .
	@touch $@

# The same virtualenv with the test and bench extras, for `make test`, `make check` and `make bench`.
$(VENV)/.installed: $(VENV)/.runtime
	$(PY) -m pip install --quiet -e '.[test,bench]'
	@touch $@

install: $(VENV)/.installed

$(DATA): $(VENV)/.runtime $(SOURCES)
	@mkdir -p build
	$(PKG) build --out $(DATA)
	@# the ontology documentation beside the data: /ontology/ serves it without waiting for pyLODE
	$(PKG) docs --out build/ontology-docs >/dev/null

build: $(DATA)

# Front-end packages (YASGUI, cytoscape) from npm into an ignored folder; optional:
# without npm the pages still work and the SPARQL editor falls back to a text area.
assets:
	@if [ -f api/static/package.json ] && command -v npm >/dev/null 2>&1; then \
	  $(MAKE) --no-print-directory -s -f api/static/assets.mk || echo "warning: front-end assets not installed; pages fall back"; \
	else echo "note: npm not found; the SPARQL editor falls back to a plain text area"; fi

serve: $(DATA) assets
	$(PKG) serve --data $(DATA) --host $(HOST) --port $(PORT)

# Headless Chromium for the browser tests (Debian's package; needs root, as on CI).
# A CJK font makes the screenshots (test artifacts) readable; the tests pass without it.
browser:
	@if command -v chromium >/dev/null 2>&1 && fc-list 2>/dev/null | grep -qi "wenquanyi\|noto sans cjk"; then :; \
	elif [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null \
	  || echo "warning: could not install chromium: browser tests will be skipped"; \
	else echo "note: chromium missing and not root: browser tests will be skipped"; fi

# Virtuoso Open Source for the remote-store tests (Debian's package; needs root, as on CI). Oxigraph's
# server comes with the test extra (PyPI). Unlike the browser, a missing server FAILS those tests.
servers:
	@if command -v virtuoso-t >/dev/null 2>&1 && command -v isql-vt >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq virtuoso-opensource >/dev/null; \
	else echo "error: virtuoso-opensource is not installed and this is not root: the remote-store tests will fail" >&2; fi

test: $(VENV)/.installed assets browser servers
	$(PY) -m pytest $(PYTEST_ARGS)

# The inner loop: everything but server processes, browsers, HermiT and the slowest builds, on every CPU
# (pytest-xdist), in under a minute. `make test` (what CI runs) still runs every test, one at a time.
check: $(VENV)/.installed
	$(PY) -m pytest -q -n auto -m "not server and not browser and not java and not slow" $(PYTEST_ARGS)

# Mutation testing of the safety and fidelity code (slow: one test run per mutant; not in CI).
# MUTATE_ARGS="--only negotiation" runs one target; "--jobs 3" three mutants at a time. Report: docs/mutation.md.
mutate:
	$(PYTHON) tests/mutation/run.py $(MUTATE_ARGS)

bench: $(VENV)/.installed $(DATA) servers
	$(PY) -m bench.run --data $(DATA) --out bench/RESULTS.md $(BENCH_ARGS)
	$(PY) -m bench.remote --data $(DATA) --out bench/RESULTS.md
	@# the province-size graph (PROVINCE=path/to/city.nq, >= 5M quads): servers bulk-loaded once, kept in build/bench/servers
	@if [ -n "$(PROVINCE)" ]; then $(PY) -m bench.remote --data $(PROVINCE) --queries city \
		--server-dir build/bench/servers --label city --out bench/RESULTS.md; fi
	@# and, over its loaded Virtuoso, the relay floor beside a stand-in that spins or fills memory before answering
	@if [ -n "$(PROVINCE)" ]; then $(PY) -m bench.relay_cache --server-dir build/bench/servers --out bench/RESULTS.md; fi

# The soak of issue 15 (not in CI: CPU-heavy): mixed clients, idle connections and a kill -9 every
# minute for SOAK_SECONDS (600); report in bench/SOAK.md, non-zero exit when a criterion fails.
SOAK_SECONDS ?= 600
soak: $(VENV)/.installed $(DATA)
	$(PY) -m bench.soak --data $(DATA) --seconds $(SOAK_SECONDS) --out bench/SOAK.md

docs: $(VENV)/.runtime
	$(PKG) docs --out build/docs

clean:
	rm -rf build .pytest_cache
