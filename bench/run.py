"""Benchmark: policykg's SPARQL service against Oxigraph's server and an rdflib endpoint.

    python -m bench.run --data build/policykg.trig            (make bench)

For each dataset (the seed graph, then a generated city of about a million triples),
every peer is started on a free loopback port over the same data:

    policykg          `policykg serve --data …` (granian + Flask server processes, pyoxigraph in memory)
    oxigraph          Oxigraph's own server on its RocksDB store (`oxigraph load` +
                      `oxigraph serve-read-only --union-default-graph`), its usual deployment
    oxigraph-mem      Oxigraph's server with its in-memory store (data POSTed to /store)
    rdflib            a thin Flask/waitress endpoint over rdflib's Dataset (bench/rdflib_endpoint.py)

The same queries (lookup, join, aggregate, property-path chain, CONSTRUCT) are sent by
GET with keep-alive connections at concurrency 1 and 8, each for a bounded number of
requests and seconds. Before measuring, each peer's answer is compared with policykg's
(as a set of rows or triples). The table gives median and p99 latency (ms) and
requests per second, with the ratio of each peer's throughput to Oxigraph's.
"""
from __future__ import annotations

import argparse
import contextlib
import http.client
import itertools
import json
import math
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

from bench.generate import BENCH, build_city
from policykg import iris
from policykg.ontology.namespaces import sparql_prologue
from policykg.settings import DEFAULT_BASE

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent

PREFIXES = (sparql_prologue(["rdf", "rdfs", "eli", "org", "pkg"])
            + f"PREFIX bench: <{BENCH}>\nPREFIX id: <{iris.thing_iri(DEFAULT_BASE, 'agent', '')}>\n")

ART5 = iris.unit_iri(DEFAULT_BASE, "suzhou-2011-community-party-building", "art/5")

SEED_QUERIES = {
    "lookup": f"SELECT ?p ?o WHERE {{ <{ART5}> ?p ?o }}",
    "join": "SELECT DISTINCT ?unit ?ordinal ?heading WHERE { ?unit eli:is_part_of ?parent ; pkg:ordinal ?ordinal . "
            "?parent pkg:heading ?heading }",
    "aggregate": "SELECT ?class (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?class } GROUP BY ?class",
    "path": "SELECT DISTINCT ?x WHERE { pkg:DistrictPartySecretary pkg:responsibilityFlowsTo+ ?x }",
    "path-subclass": "SELECT DISTINCT ?c ?super WHERE { ?c rdfs:subClassOf+ ?super }",
    "construct": "CONSTRUCT { ?u rdfs:label ?l ; pkg:text ?t } WHERE { ?u a eli:LegalResourceSubdivision ; "
                 "rdfs:label ?l ; pkg:text ?t }",
}

CITY_QUERIES = {
    "lookup": "SELECT ?p ?o WHERE { id:bench-community-3-4-5-party-organization ?p ?o }",
    "join": "SELECT ?m ?name ?born WHERE { ?m a pkg:RetiredPartyMember ; org:memberOf ?b ; rdfs:label ?name ; "
            "bench:birthYear ?born . ?b org:subOrganizationOf ?po . "
            "?po org:subOrganizationOf id:bench-subdistrict-3-4-party-working-committee }",
    "aggregate": "SELECT ?wc (COUNT(?m) AS ?members) (MIN(?born) AS ?oldest) WHERE { ?m org:memberOf ?b ; "
                 "bench:birthYear ?born . ?b org:subOrganizationOf ?po . ?po org:subOrganizationOf ?wc . "
                 "?wc org:subOrganizationOf id:bench-district-3-party-committee } GROUP BY ?wc",
    "path": "SELECT ?unit WHERE { ?unit org:subOrganizationOf+ id:bench-district-3-party-committee }",
    "construct": "CONSTRUCT { ?po pkg:leadsAndGuides ?rc ; rdfs:label ?l } WHERE { ?po pkg:leadsAndGuides ?rc ; "
                 "rdfs:label ?l ; org:subOrganizationOf ?wc . "
                 "?wc org:subOrganizationOf id:bench-district-3-party-committee }",
}

MODES = {
    "distinct": "every request a different text (no answer cache can help: evaluation measured)",
    "repeated": "the identical request repeated (policykg answers from its result cache after the first)",
}

RESULTS_JSON = "application/sparql-results+json"
NTRIPLES = "application/n-triples"


def free_port() -> int:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------------------
# Peers
# ---------------------------------------------------------------------------

class Peer:
    name = "peer"

    def __init__(self, data: Path, workdir: Path):
        self.data = data
        self.workdir = workdir
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.log_path = workdir / f"{self.name}.log"

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.path}"

    path = "/sparql"

    def command(self) -> list[str]:
        raise NotImplementedError

    def prepare(self) -> None:
        pass

    def env(self) -> dict:
        return dict(os.environ)

    def start(self, timeout: float = 900) -> float:
        started = time.monotonic()
        self.prepare()
        self._log = open(self.log_path, "ab")
        self.process = subprocess.Popen(self.command(), cwd=ROOT, env=self.env(), stdout=self._log,
                                        stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}; see {self.log_path}")
            try:
                status, _ = request(self, "ASK { ?s ?p ?o }", RESULTS_JSON, timeout=5)
                if status == 200:
                    self.after_start()
                    return time.monotonic() - started
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"{self.name} did not answer within {timeout:.0f} s; see {self.log_path}")

    def after_start(self) -> None:
        pass

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(20)
        self.process = None
        with contextlib.suppress(Exception):
            self._log.close()


# How the benchmark runs policykg (and the HTTP floor, with the same processes and threads).
POLICYKG_SETTINGS = {
    "POLICYKG_QUERY_WORKERS": str(os.cpu_count() or 2),
    "POLICYKG_THREADS": "8",
    "POLICYKG_QUERY_TIMEOUT": "120",
    "POLICYKG_MAX_RESULTS": "10000000",
}


class PolicykgPeer(Peer):
    name = "policykg"

    def command(self):
        return [str(VENV_BIN / "policykg"), "serve", "--data", str(self.data), "--host", "127.0.0.1",
                "--port", str(self.port)]

    def env(self):
        return {**os.environ, **POLICYKG_SETTINGS}

    def after_start(self) -> None:
        """Wait until every server process has loaded the data and answers (a new connection
        may reach any of them), so no measurement runs beside a process still loading."""
        wanted = int(self.env()["POLICYKG_QUERY_WORKERS"])
        seen: set[int] = set()
        deadline = time.monotonic() + 900
        while len(seen) < wanted and time.monotonic() < deadline:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            try:
                conn.request("GET", "/healthz")
                seen.add(json.loads(conn.getresponse().read())["pid"])
            except (OSError, ValueError, KeyError):
                time.sleep(0.2)
            finally:
                conn.close()


class OxigraphPeer(Peer):
    name = "oxigraph"

    def prepare(self):
        self.location = self.workdir / "oxigraph-store"
        stamp = self.location / ".policykg-source"
        key = f"{self.data} {self.data.stat().st_mtime_ns}"
        if not (stamp.exists() and stamp.read_text() == key):
            shutil.rmtree(self.location, ignore_errors=True)
            subprocess.run([str(VENV_BIN / "oxigraph"), "load", "--location", str(self.location),
                            "--file", str(self.data)], check=True, capture_output=True, timeout=1800)
            stamp.write_text(key)

    def command(self):
        return [str(VENV_BIN / "oxigraph"), "serve-read-only", "--location", str(self.location),
                "--bind", f"127.0.0.1:{self.port}", "--union-default-graph"]

    path = "/query"


class OxigraphMemoryPeer(Peer):
    name = "oxigraph-mem"
    path = "/query"

    def command(self):
        return [str(VENV_BIN / "oxigraph"), "serve", "--bind", f"127.0.0.1:{self.port}", "--union-default-graph"]

    def after_start(self):
        media = "application/n-quads" if self.data.suffix == ".nq" else "application/trig"
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=1800)
        with open(self.data, "rb") as fh:
            conn.request("POST", "/store", body=fh, headers={"Content-Type": media})
            response = conn.getresponse()
            response.read()
        conn.close()
        if response.status >= 300:
            raise RuntimeError(f"oxigraph-mem: loading the data failed with {response.status}")


class RdflibPeer(Peer):
    name = "rdflib"

    def command(self):
        return [sys.executable, "-m", "bench.rdflib_endpoint", "--data", str(self.data), "--port", str(self.port)]


class FloorPeer(Peer):
    """granian with policykg's settings (processes, threads, HTTP/1) over bench/floor_app.py."""
    name = "http-floor"

    def command(self):
        threads = POLICYKG_SETTINGS["POLICYKG_THREADS"]
        return [str(VENV_BIN / "granian"), "--interface", "wsgi", "--host", "127.0.0.1", "--port", str(self.port),
                "--workers", POLICYKG_SETTINGS["POLICYKG_QUERY_WORKERS"], "--blocking-threads", threads,
                "--backpressure", threads,
                "--http", "1", "--log-level", "warning", "bench.floor_app:app"]


PEERS = {"policykg": PolicykgPeer, "oxigraph": OxigraphPeer, "oxigraph-mem": OxigraphMemoryPeer,
         "rdflib": RdflibPeer}


# ---------------------------------------------------------------------------
# HTTP client (keep-alive, one connection per thread)
# ---------------------------------------------------------------------------

class Client:
    def __init__(self, peer: Peer, timeout: float):
        self.peer = peer
        self.timeout = timeout
        self.conn: http.client.HTTPConnection | None = None

    def get(self, query: str, accept: str) -> tuple[int, bytes]:
        target = self.peer.path + "?" + urllib.parse.urlencode({"query": query})
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.peer.port, timeout=self.timeout)
            try:
                self.conn.request("GET", target, headers={"Accept": accept})
                response = self.conn.getresponse()
                body = response.read()
                if response.getheader("Connection", "").lower() == "close":
                    self.close()
                return response.status, body
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.close()
                if attempt:
                    raise
        raise RuntimeError("unreachable")

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def request(peer: Peer, query: str, accept: str, timeout: float = 120) -> tuple[int, bytes]:
    client = Client(peer, timeout)
    try:
        return client.get(query, accept)
    finally:
        client.close()


# ---------------------------------------------------------------------------
# Results comparison
# ---------------------------------------------------------------------------

def _norm_term(term: dict) -> tuple:
    kind = term.get("type")
    if kind == "bnode":
        return ("bnode", "", "", "")   # labels are each store's own: compare the rest of the row
    if kind == "typed-literal":
        kind = "literal"
    datatype = term.get("datatype")
    if datatype == "http://www.w3.org/2001/XMLSchema#string":
        datatype = None
    value = term.get("value")
    if datatype in ("http://www.w3.org/2001/XMLSchema#integer", "http://www.w3.org/2001/XMLSchema#decimal"):
        with contextlib.suppress(ValueError):
            value = str(float(value))
    return (kind, value, term.get("xml:lang", "").lower(), datatype or "")


def normalise(body: bytes, accept: str):
    if accept == RESULTS_JSON:
        data = json.loads(body)
        if "boolean" in data:
            return ("boolean", data["boolean"])
        names = sorted(data["head"]["vars"])
        rows = []
        for binding in data["results"]["bindings"]:
            rows.append(tuple(_norm_term(binding[n]) if n in binding else None for n in names))
        # A sorted list, not a set: rows that differ only in blank nodes must all be counted.
        return ("rows", tuple(sorted(rows, key=repr)), len(rows))
    import pyoxigraph as ox

    def term(t):
        return "_:" if isinstance(t, ox.BlankNode) else str(t)

    triples = sorted((term(t.subject), term(t.predicate), term(t.object))
                     for t in ox.parse(body, format=ox.RdfFormat.N_TRIPLES))
    return ("triples", tuple(triples), len(triples))


def same(a, b) -> bool:
    return a[:2] == b[:2]


# ---------------------------------------------------------------------------
# Memory
# ---------------------------------------------------------------------------

def process_tree(pid: int) -> list[int]:
    """``pid`` and its descendants (policykg's supervisor and its server processes)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError, ValueError):
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as fh:
                parent = int(fh.read().rsplit(")", 1)[1].split()[1])
            children.setdefault(parent, []).append(int(entry))
    tree, todo = [], [pid]
    while todo and len(tree) < 10_000:
        current = todo.pop()
        tree.append(current)
        todo.extend(children.get(current, []))
    return tree


def _kb(path: str, field_name: str) -> int:
    with contextlib.suppress(OSError, ValueError):
        with open(path, encoding="ascii", errors="replace") as fh:
            for line in fh:
                if line.startswith(field_name + ":"):
                    return int(line.split()[1])
    return 0


@dataclass
class Memory:
    pss_mb: float       # proportional set size: shared pages split between the processes sharing them
    peak_rss_mb: float  # sum of each process's peak resident size (shared pages counted in each)


def memory(pid: int) -> Memory:
    """Memory of a peer: every process of its tree, summed."""
    pids = process_tree(pid)
    pss = sum(_kb(f"/proc/{p}/smaps_rollup", "Pss") for p in pids)
    peak = sum(_kb(f"/proc/{p}/status", "VmHWM") for p in pids)
    return Memory(pss / 1024, peak / 1024)


def memory_table(rows: dict) -> str:
    lines = ["| peer | ready in s | memory when ready, MB (PSS) | memory after the run, MB (PSS) | peak, MB (sum of peak RSS) |",
             "|---|---|---|---|---|"]
    for name, (ready, loaded, after) in rows.items():
        lines.append(f"| {name} | {fmt(ready, 1)} | {fmt(loaded.pss_mb, 0)} | "
                     f"{fmt(after.pss_mb, 0) if after else '–'} | {fmt(after.peak_rss_mb, 0) if after else '–'} |")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------
# Measurement
# ---------------------------------------------------------------------------

@dataclass
class Measurement:
    latencies: list = field(default_factory=list)
    errors: int = 0
    elapsed: float = 0.0
    timed_out: bool = False

    @property
    def rps(self) -> float:
        return len(self.latencies) / self.elapsed if self.elapsed else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return math.nan
        ordered = sorted(self.latencies)
        index = min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))
        return ordered[index] * 1000

    @property
    def median(self) -> float:
        return statistics.median(self.latencies) * 1000 if self.latencies else math.nan


_MEASUREMENT_IDS = itertools.count(1)


def measure(peer: Peer, query: str, accept: str, concurrency: int, max_requests: int, max_seconds: float,
            request_timeout: float, distinct: bool = False) -> Measurement:
    """Send ``query`` at ``concurrency``; with ``distinct``, every request's text differs by a
    trailing comment, so that no cache of answers to identical requests can help."""
    result = Measurement()
    # Unique across the whole run: a text measured at c=1 must not come back at c=8,
    # or an answer cache would serve it (an earlier version of this benchmark let it).
    salt = next(_MEASUREMENT_IDS)
    lock = threading.Lock()
    issued = [0]
    stop_at = [0.0]   # set after the warm-up, so slow warm-up answers do not eat the window

    def worker():
        client = Client(peer, request_timeout)
        try:
            while True:
                with lock:
                    if issued[0] >= max_requests or time.monotonic() >= stop_at[0] or result.timed_out:
                        return
                    issued[0] += 1
                    number = issued[0]
                text = f"{query}\n# request {salt}-{number}" if distinct else query
                started = time.perf_counter()
                try:
                    status, _ = client.get(text, accept)
                except (socket.timeout, TimeoutError):
                    with lock:
                        result.timed_out = True
                        result.errors += 1
                    return
                except OSError:
                    with lock:
                        result.errors += 1
                    client.close()
                    continue
                took = time.perf_counter() - started
                with lock:
                    if status == 200:
                        result.latencies.append(took)
                    else:
                        result.errors += 1
        finally:
            client.close()

    # warm-up: one request per connection-to-be
    for _ in range(min(concurrency, 2)):
        with contextlib.suppress(OSError):
            request(peer, query, accept, timeout=request_timeout)
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    stop_at[0] = time.monotonic() + max_seconds
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(max_seconds + request_timeout + 30)
    result.elapsed = time.perf_counter() - started
    return result


def geomean(values) -> float:
    values = [v for v in values if v and v > 0 and not math.isnan(v)]
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else math.nan


# ---------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------

def machine() -> str:
    cpu = platform.processor() or ""
    with contextlib.suppress(OSError):
        for line in open("/proc/cpuinfo", encoding="utf-8"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    try:
        import pyoxigraph

        oxv = pyoxigraph.__version__
    except Exception:  # noqa: BLE001
        oxv = "?"
    return f"{os.cpu_count()} CPUs ({cpu}), Python {platform.python_version()}, pyoxigraph {oxv}, {platform.system()}"


def fmt(value: float, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:.{digits}f}"


def table(title: str, peers: list[str], queries: list[str], results: dict, checks: dict, concurrencies) -> str:
    lines = [f"### {title}", ""]
    header = ["query", "c"]
    for p in peers:
        header += [f"{p} median ms", f"{p} p99 ms", f"{p} req/s"]
    for p in peers:
        if p != "oxigraph":
            header.append(f"{p}/oxigraph")
    lines.append("| " + " | ".join(header) + " |")
    lines.append("|" + "---|" * len(header))
    for q in queries:
        for c in concurrencies:
            row = [q + ("" if all(checks.get((p, q), True) for p in peers) else " (≠)"), str(c)]
            for p in peers:
                m = results.get((p, q, c))
                if m is None:
                    row += ["–", "–", "–"]
                elif m.timed_out and not m.latencies:
                    row += ["timeout", "", ""]
                else:
                    row += [fmt(m.median, 2), fmt(m.percentile(99), 2), fmt(m.rps, 0)]
            base = results.get(("oxigraph", q, c))
            for p in peers:
                if p == "oxigraph":
                    continue
                m = results.get((p, q, c))
                ratio = m.rps / base.rps if (m and base and base.rps and m.latencies) else math.nan
                row.append(fmt(ratio, 2) + ("×" if not math.isnan(ratio) else ""))
            lines.append("| " + " | ".join(row) + " |")
    lines.append("")
    geo = ["| geometric mean req/s | c | " + " | ".join(peers) + " | " +
           " | ".join(f"{p}/oxigraph" for p in peers if p != "oxigraph") + " |",
           "|---|---|" + "---|" * (2 * len(peers) - 1)]
    for c in concurrencies:
        means = {p: geomean(results[(p, q, c)].rps for q in queries if (p, q, c) in results) for p in peers}
        ratios = [fmt(means[p] / means["oxigraph"], 2) + "×" if means.get("oxigraph") else "–"
                  for p in peers if p != "oxigraph"]
        geo.append(f"| all queries | {c} | " + " | ".join(fmt(means[p], 0) for p in peers) + " | "
                   + " | ".join(ratios) + " |")
    lines += geo
    lines.append("")
    return "\n".join(lines)


def run_dataset(label: str, data: Path, queries: dict, peers: list[str], workdir: Path, args) -> str:
    print(f"\n== {label}: {data} ==", file=sys.stderr, flush=True)
    results: dict = {}
    checks: dict = {}
    reference: dict = {}
    accepts = {q: (NTRIPLES if text.lstrip().upper().startswith("CONSTRUCT") else RESULTS_JSON)
               for q, text in queries.items()}
    full = {q: PREFIXES + text for q, text in queries.items()}
    notes = []
    memories: dict[str, list] = {}
    for name in peers:
        peer = PEERS[name](data, workdir)
        try:
            took = peer.start()
        except (RuntimeError, subprocess.SubprocessError, OSError) as exc:
            print(f"  {name}: could not start: {exc}", file=sys.stderr, flush=True)
            notes.append(f"{name} could not start: {exc}")
            continue
        print(f"  {name}: ready in {took:.1f} s", file=sys.stderr, flush=True)
        memories[name] = [took, memory(peer.process.pid), None]
        try:
            for q in queries:
                try:
                    status, body = request(peer, full[q], accepts[q], timeout=args.request_timeout)
                except (socket.timeout, TimeoutError):
                    print(f"  {name} {q}: timeout after {args.request_timeout:.0f} s", file=sys.stderr, flush=True)
                    for mode in args.modes:
                        results[(mode, name, q, args.concurrency[0])] = Measurement(timed_out=True)
                    notes.append(f"{name} {q}: no answer within {args.request_timeout:.0f} s")
                    peer.stop()
                    peer.start()
                    continue
                if status != 200:
                    notes.append(f"{name} {q}: HTTP {status}: {body[:200]!r}")
                    checks[(name, q)] = False
                    continue
                answer = normalise(body, accepts[q])
                if name == peers[0]:
                    reference[q] = answer
                    checks[(name, q)] = True
                elif q in reference:
                    checks[(name, q)] = same(answer, reference[q])
                    if not checks[(name, q)]:
                        notes.append(f"{name} {q}: results differ from {peers[0]} "
                                     f"({answer[2] if len(answer) > 2 else answer[1]} vs "
                                     f"{reference[q][2] if len(reference[q]) > 2 else reference[q][1]})")
                for mode, c in [(mode, c) for mode in args.modes for c in args.concurrency]:
                    m = measure(peer, full[q], accepts[q], c, args.requests, args.seconds, args.request_timeout,
                                distinct=(mode == "distinct"))
                    results[(mode, name, q, c)] = m
                    print(f"  {mode:8s} {name:12s} {q:14s} c={c}: median {fmt(m.median, 2)} ms, p99 "
                          f"{fmt(m.percentile(99), 2)} ms, {fmt(m.rps, 0)} req/s ({len(m.latencies)} ok, "
                          f"{m.errors} errors{', timeout' if m.timed_out else ''})", file=sys.stderr, flush=True)
                    if m.timed_out:
                        peer.stop()
                        peer.start()
                        break
        finally:
            if peer.process is not None and peer.process.poll() is None:
                memories[name][2] = memory(peer.process.pid)
            peer.stop()
    sizes = sum(1 for _ in open(data, "rb")) if data.suffix == ".nq" else None
    out = ""
    for mode in args.modes:
        title = f"{label} ({data.name}{f', {sizes:,} quads' if sizes else ''}), {MODES[mode]}"
        mode_results = {k[1:]: v for k, v in results.items() if k[0] == mode}
        out += table(title, [p for p in peers if any(k[0] == p for k in mode_results)], list(queries),
                     mode_results, checks, args.concurrency) + "\n"
    verdict = []
    for q in queries:
        ok = [p for p in peers if checks.get((p, q))]
        verdict.append(f"{q}: {'same results from ' + ', '.join(ok) if ok else 'not compared'}")
    out += "\nResults check: " + "; ".join(verdict) + ".\n"
    out += "\nStart-up and memory (every process of a peer summed; policykg runs a supervisor and its server processes, " \
           "each with the data in memory):\n\n" + memory_table(memories)
    if notes:
        out += "\nNotes:\n" + "\n".join(f"- {n}" for n in notes) + "\n"
    return out


FLOOR_QUERY = "ASK { }"
FLOOR_PEERS = ("http-floor", "policykg", "oxigraph-mem", "oxigraph")


def run_floor(data: Path, workdir: Path, args) -> str:
    """The cost of HTTP itself: the floor answers without any work, the SPARQL servers answer
    ``ASK { }`` (no data touched), with the same client, concurrencies and limits."""
    print("\n== HTTP floor ==", file=sys.stderr, flush=True)
    rows = []
    for name in FLOOR_PEERS:
        peer = (FloorPeer if name == "http-floor" else PEERS[name])(data, workdir)
        try:
            peer.start()
        except (RuntimeError, subprocess.SubprocessError, OSError) as exc:
            rows.append(f"| {name} | could not start: {exc} |")
            continue
        try:
            cells = []
            for c in args.concurrency:
                m = measure(peer, FLOOR_QUERY, RESULTS_JSON, c, args.requests, args.seconds, args.request_timeout,
                            distinct=True)
                cells += [fmt(m.median, 2), fmt(m.percentile(99), 2), fmt(m.rps, 0)]
                print(f"  floor {name:12s} c={c}: median {fmt(m.median, 2)} ms, {fmt(m.rps, 0)} req/s",
                      file=sys.stderr, flush=True)
            rows.append(f"| {name} | " + " | ".join(cells) + " |")
        finally:
            peer.stop()
    head = " | ".join(f"c={c} median ms | c={c} p99 ms | c={c} req/s" for c in args.concurrency)
    return ("### HTTP floor: what answering costs before any query work\n\n"
            "http-floor is granian with policykg's settings (processes, threads, HTTP/1) answering every request "
            "with a constant result from a WSGI function that does nothing else (bench/floor_app.py); the others "
            f"answer `{FLOOR_QUERY}`, which touches no data.\n\n"
            f"| server | {head} |\n|---|" + "---|" * (3 * len(args.concurrency)) + "\n" + "\n".join(rows) + "\n")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="policykg SPARQL benchmark")
    parser.add_argument("--data", type=Path, default=ROOT / "build" / "policykg.trig", help="the seed dataset")
    parser.add_argument("--peers", default="policykg,oxigraph,oxigraph-mem,rdflib")
    parser.add_argument("--datasets", default="seed,floor,city",
                        help="any of seed, floor (the HTTP floor), city; comma-separated")
    parser.add_argument("--concurrency", default="1,8")
    parser.add_argument("--modes", default="distinct,repeated", help="distinct, repeated or both")
    parser.add_argument("--requests", type=int, default=3000, help="most requests per query and concurrency")
    parser.add_argument("--seconds", type=float, default=8.0, help="most seconds per query and concurrency")
    parser.add_argument("--request-timeout", type=float, default=60.0)
    parser.add_argument("--workdir", type=Path, default=ROOT / "build" / "bench")
    parser.add_argument("--out", type=Path, help="also write the markdown report here")
    args = parser.parse_args(argv)
    args.concurrency = [int(c) for c in args.concurrency.split(",")]
    args.modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    if set(args.modes) - set(MODES):
        parser.error(f"--modes: choose from {', '.join(MODES)}")
    peers = [p.strip() for p in args.peers.split(",") if p.strip()]
    unknown = set(peers) - set(PEERS)
    if unknown:
        parser.error(f"unknown peers: {', '.join(sorted(unknown))}")
    if peers[0] != "policykg" or "oxigraph" not in peers:
        parser.error("--peers must start with policykg and include oxigraph")
    if not args.data.is_file():
        parser.error(f"{args.data}: no such file (run `make build` first)")
    args.workdir.mkdir(parents=True, exist_ok=True)
    report = [f"## SPARQL benchmark\n\nMachine: {machine()}.\n",
              f"Each cell: up to {args.requests} requests or {args.seconds:g} s per query and concurrency, "
              "GET with keep-alive from one Python client process on the same machine.\n"]
    datasets = [d.strip() for d in args.datasets.split(",")]

    def _terminate(signum, frame):  # stop the peers (finally blocks) on SIGTERM too
        raise KeyboardInterrupt

    import signal

    signal.signal(signal.SIGTERM, _terminate)
    notes = design_notes(args.out)
    if args.out:
        args.out.write_text(report[0] + "\n" + report[1] + "\n", encoding="utf-8")
    with tempfile.TemporaryDirectory(prefix="policykg-bench-", dir=args.workdir) as tmp:
        tmp = Path(tmp)
        if "seed" in datasets:
            report.append(run_dataset("Seed graph", args.data.resolve(), SEED_QUERIES, peers, tmp, args))
            _flush(report[-1], args)
        if "floor" in datasets:
            report.append(run_floor(args.data.resolve(), tmp, args))
            _flush(report[-1], args)
        if "city" in datasets:
            city = build_city(args.data.resolve(), args.workdir / "city.nq")
            (tmp / "oxigraph-store").exists() and shutil.rmtree(tmp / "oxigraph-store")
            report.append(run_dataset("Generated city", city.resolve(), CITY_QUERIES, peers, tmp, args))
            _flush(report[-1], args)
    if args.out and notes:
        with open(args.out, "a", encoding="utf-8") as out:
            out.write("\n" + notes)
    print("\n".join(report))
    return 0


NOTES_HEADING = "## Measurements behind the design"


def design_notes(path: Path | None) -> str:
    """The hand-written section of ``path`` (from NOTES_HEADING on), which a run keeps."""
    if path is None or not path.is_file():
        return ""
    text = path.read_text(encoding="utf-8")
    start = text.find(NOTES_HEADING)
    return text[start:] if start != -1 else ""


def _flush(section: str, args) -> None:
    """Append a finished section to --out at once (a long run keeps what it measured)."""
    print(section, file=sys.stderr, flush=True)
    if args.out:
        with open(args.out, "a", encoding="utf-8") as fh:
            fh.write(section + "\n")


if __name__ == "__main__":
    raise SystemExit(main())
