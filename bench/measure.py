"""What the benchmark measures: answers compared across peers, memory of a process tree,
latency and throughput of a query at a concurrency (see :mod:`bench.run`)."""
from __future__ import annotations

import contextlib
import itertools
import json
import math
import os
import socket
import statistics
import threading
import time
from dataclasses import dataclass, field

from bench.peers import RESULTS_JSON, Client, Peer, request


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


def service_processes(pid: int) -> list[int]:
    """``pid``'s process tree, and for a policykg supervisor also its evaluation forker's (the
    forker is started apart from the supervisor's children: policykg.store.forking)."""
    import tempfile
    from pathlib import Path
    pids = process_tree(pid)
    for folder in Path(tempfile.gettempdir()).glob("policykg-run-*"):
        with contextlib.suppress(OSError, ValueError):
            if int((folder / "supervisor.pid").read_text(encoding="ascii").strip()) == pid:
                pids += process_tree(int((folder / "forker.pid").read_text(encoding="ascii").strip()))
    return pids


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
    pids = service_processes(pid)
    pss = sum(_kb(f"/proc/{p}/smaps_rollup", "Pss") for p in pids)
    peak = sum(_kb(f"/proc/{p}/status", "VmHWM") for p in pids)
    return Memory(pss / 1024, peak / 1024)


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
