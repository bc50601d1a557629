"""Every setting of policykg, declared once: name, default, type and help.

A setting is read, in order of precedence, from a command-line flag, from the
environment variable ``POLICYKG_<NAME>`` (upper case), or from its default.
README.md documents this same table; tests/test_settings.py checks that the two agree.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field

DEFAULT_BASE = "https://w3id.org/policykg/"


@dataclass(frozen=True)
class Setting:
    name: str
    default: object
    type: type
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting("base", DEFAULT_BASE, str,
            "Base IRI from which every instance IRI (documents, clauses, statements) is minted."),
    Setting("data", "", str,
            "A built dataset (.trig or .nq) to serve; empty means build from the bundled policy at start."),
    Setting("store", "", str,
            "Folder of a persistent pyoxigraph store; empty means an in-memory store."),
    Setting("store_url", "", str,
            "Query endpoint of a SPARQL 1.1 server holding the data (instead of an embedded store); "
            "credentials from POLICYKG_STORE_USER and POLICYKG_STORE_PASSWORD."),
    Setting("update_url", "", str,
            "Update endpoint of that server; empty means the server's usual one (Oxigraph /update, Virtuoso /sparql)."),
    Setting("graph_store_url", "", str,
            "Graph Store Protocol endpoint of that server, for policykg load; empty means the server's usual one."),
    Setting("data_cache", "", str,
            "Folder where policykg serve keeps what it built from a data file, named by the file's content "
            "hash, so that a restart does not parse it: a store folder it answers from at once, and a copy "
            "that loads fast into memory; empty means $XDG_CACHE_HOME/policykg (~/.cache/policykg), off means "
            "none (the file is parsed into memory at each start)."),
    Setting("data_memory_mb", -1, int,
            "Largest in-memory copy of a data file the service holds, in MB (about 2.2 times the file): within "
            "it, the copy loads in the background while the store folder answers, and queries move to it "
            "(fastest); beyond it the store folder serves. -1 means a quarter of the machine's (or cgroup's) "
            "memory; 0 serves every file from its store folder."),
    Setting("host", "127.0.0.1", str, "Address the service listens on."),
    Setting("port", 8000, int, "Port the service listens on."),
    Setting("threads", 8, int, "Request threads of each server process (and query threads beside them)."),
    Setting("query_timeout", 10.0, float,
            "Seconds a SPARQL query or update may run before it is stopped and answered with 503."),
    Setting("max_query_length", 100_000, int, "Longest SPARQL query text accepted, in characters."),
    Setting("max_nesting", 200, int, "Deepest nesting of brackets and braces accepted in a query."),
    Setting("max_operators", -1, int,
            "Most operators, groups and UNION/MINUS/OPTIONAL a query may hold (long chains recurse in the engine); "
            "-1 means 2000 over the embedded store and 1000 over a SPARQL server (Oxigraph's server 0.5.13 "
            "dies parsing a chain of 1800)."),
    Setting("max_results", 100_000, int,
            "Most result rows (or triples) a SPARQL query may return before it is refused."),
    Setting("query_workers", 2, int,
            "Server processes; all share the one copy of the data the service loaded (and so do their "
            "evaluation processes, see query_processes)."),
    Setting("query_processes", 2, int,
            "Evaluation processes of each server process, forked from the shared copy of the data: an engine "
            "crash, a query over the time limit or over its memory budget ends only its evaluation process; "
            "0 evaluates on threads (unprotected)."),
    Setting("query_memory_mb", 0, int,
            "Memory a query may add beyond the data in its evaluation process, in MB, before it is stopped with "
            "503 resource_limit; 0 means half the machine's (or cgroup's) memory divided among the evaluation "
            "processes."),
    Setting("query_refork", 10.0, float,
            "Seconds an evaluation process may keep its own copy of data its queries walked (pyoxigraph writes "
            "to what it reads) before a fresh fork that shares the data replaces it; 0 replaces it after the "
            "answer that copied it (least memory, slowest for queries that scan)."),
    Setting("query_idle_refork", 1.0, float,
            "Seconds without a query after which an evaluation process that copied over a quarter of the "
            "shared data is replaced by a fresh fork (its memory given back); 0 never while idle."),
    Setting("query_queue", 16, int,
            "Queries that may wait for a busy evaluation process, per server process; beyond them (or after "
            "waiting as long as query_timeout) a query is answered 503 busy with Retry-After."),
    Setting("connections", 256, int,
            "Connections each server process holds open at once (idle keep-alive ones included); far more "
            "than its threads, so idle clients cannot take every slot."),
    Setting("keep_alive_timeout", 5.0, float,
            "Seconds an idle connection may take to send its next request's headers before it is closed."),
    Setting("body_timeout", 10.0, float,
            "Seconds a client may take to send a request's body after its headers before it is answered 408 "
            "body_timeout; at most half the request threads read bodies at once, a request with a body beyond "
            "them is answered 503 busy."),
    Setting("cpu_affinity", "auto", str,
            "Pin each server process to a CPU of its own: auto (when processes >= CPUs), on, or off."),
    Setting("result_cache_mb", 16, int,
            "Megabytes of SPARQL answers kept per server process for identical requests (0 disables); "
            "cleared by /update."),
    Setting("page_size", 100, int, "Default number of rows per page of the REST API."),
    Setting("max_page_size", 1000, int, "Largest page the REST API serves."),
    Setting("max_register_mb", 6, int,
            "Largest register file /api/check and the /check page accept, in megabytes (each file)."),
    Setting("max_source_mb", 20, int,
            "Largest policy text policykg build and validate read, in megabytes (each file); a build needs "
            "about 65 MB of memory per MB of text."),
    Setting("admin_token", "", str,
            "Bearer token that enables /update; empty disables updates entirely."),
    Setting("include_background", True, bool,
            "Whether the default graph includes the background-knowledge graph."),
)

_BY_NAME = {s.name: s for s in SETTINGS}
CPU_AFFINITY_CHOICES = ("auto", "on", "off")


def _coerce(setting: Setting, value: object) -> object:
    if setting.type is bool and isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in {"1", "true", "yes", "on"}:
            return True
        if lowered in {"0", "false", "no", "off", ""}:
            return False
        raise ValueError(f"setting {setting.name}: {value!r} is not a boolean")
    try:
        return setting.type(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"setting {setting.name}: {value!r} is not a valid {setting.type.__name__}") from exc


@dataclass(frozen=True)
class Config:
    """The resolved value of every setting; build one with :func:`load_config`."""

    values: dict = field(default_factory=dict)

    def __getattr__(self, name: str):
        try:
            return self.values[name]
        except KeyError:
            raise AttributeError(name) from None

    def replace(self, **overrides) -> "Config":
        merged = dict(self.values)
        for name, value in overrides.items():
            if name not in _BY_NAME:
                raise KeyError(f"unknown setting {name!r}")
            merged[name] = _coerce(_BY_NAME[name], value)
        return Config(merged)


def load_config(overrides: dict | None = None, environ: dict | None = None) -> Config:
    """Resolve every setting from overrides, then the environment, then defaults."""
    environ = os.environ if environ is None else environ
    overrides = {k: v for k, v in (overrides or {}).items() if v is not None}
    values = {}
    for setting in SETTINGS:
        if setting.name in overrides:
            raw = overrides[setting.name]
        elif f"POLICYKG_{setting.name.upper()}" in environ:
            raw = environ[f"POLICYKG_{setting.name.upper()}"]
        else:
            raw = setting.default
        values[setting.name] = _coerce(setting, raw)
    unknown = set(overrides) - set(_BY_NAME)
    if unknown:
        raise KeyError(f"unknown setting(s): {', '.join(sorted(unknown))}")
    if values["cpu_affinity"] not in CPU_AFFINITY_CHOICES:
        raise ValueError(f"setting cpu_affinity: {values['cpu_affinity']!r} must be one of "
                         f"{', '.join(CPU_AFFINITY_CHOICES)}")
    if not str(values["base"]).endswith(("/", "#")):
        raise ValueError(f"setting base: {values['base']!r} must end with '/' or '#'")
    return Config(values)
