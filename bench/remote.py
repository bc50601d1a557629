"""Benchmark: the service over a remote SPARQL server, beside the embedded store.

    python -m bench.remote --data build/policykg.trig --out bench/RESULTS.md     (part of make bench)

Backends, each over the same data on loopback:

    embedded          `policykg serve --data …` (pyoxigraph in memory in each server process)
    oxigraph-server   `policykg serve --store-url …` over Oxigraph's server (`oxigraph serve`, RocksDB)
    virtuoso          `policykg serve --store-url …` over Virtuoso Open Source 7.2 (`virtuoso-t`)

For each remote backend the same /sparql requests are also sent straight to the server, with the
dataset the service sends (default-graph-uri / named-graph-uri: the service's graphs) and JSON or
N-Triples, which is what the service asks for: the difference of the medians is what the service adds
per request (parsing and checking the query, our limits, serialising the answer again, HTTP twice).
The named questions (/api/queries/<name>, first example of each) are measured over each backend too,
and every example of each is answered over each backend and compared with the first backend's rows.
Memory: every process of the service (supervisor, server and evaluation processes) and of the server.

The section is written into --out between markers, inside the part of RESULTS.md that bench/run.py
keeps (after its "Measurements behind the design" heading).

The province-size graph (≥ 5 million quads, bench/generate.py's city at --city-triples):

    python -m bench.remote --data build/bench/city-6200000.nq --queries city --server-dir build/bench/servers \
        --label city --out bench/RESULTS.md

loads each server with its own bulk loader (``oxigraph load``; Virtuoso's ``ld_dir``/``rdf_loader_run``)
into a folder of --server-dir that is kept with a stamp of the file it holds, so a second run starts
the loaded servers again instead of loading for minutes; each label has a section of its own.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections import Counter
from pathlib import Path

from bench.measure import geomean, measure, memory, normalise, same
from bench.peers import (NTRIPLES, POLICYKG_SETTINGS, RESULTS_JSON, ROOT, VENV_BIN, FloorPeer, Peer, PolicykgPeer,
                         request)
from bench.run import CITY_QUERIES, NOTES_HEADING, PREFIXES, SEED_QUERIES, fmt, machine
from bench.servers import ServerMissing, SparqlServer, oxigraph_bulk_load
from policykg.queries.library import load_library
from policykg.settings import DEFAULT_BASE
from policykg.store.remote import RemoteStore

BACKENDS = ("embedded", "oxigraph-server", "virtuoso")
QUERY_SETS = {"seed": SEED_QUERIES, "city": CITY_QUERIES}
BULK_LOAD_SECONDS = 3600
VIRTUOSO_BIG_BUFFERS = 170_000     # about 1.3 GB of page cache for the province-size graph


def markers(label: str = "", tag: str = "bench/remote.py") -> tuple[str, str]:
    """The markers of a run's section in RESULTS.md: one section per benchmark (``tag``) and data set label."""
    if label:
        tag = f"{tag}:{label}"
    return f"<!-- {tag}:start -->", f"<!-- {tag}:end -->"


class RemotePolicykgPeer(PolicykgPeer):
    """`policykg serve --store-url URL`, with the benchmark's settings."""
    name = "policykg-remote"
    in_memory = False   # nothing to wait for after every server process answers

    def __init__(self, data: Path, workdir: Path, store_url: str, label: str):
        self.store_url = store_url
        self.name = f"policykg-{label}"
        super().__init__(data, workdir)

    def command(self):
        return [str(VENV_BIN / "policykg"), "serve", "--store-url", self.store_url, "--host", "127.0.0.1",
                "--port", str(self.port)]


class DirectPeer(Peer):
    """The SPARQL server itself, asked with the dataset the service would send."""

    def __init__(self, server: SparqlServer, dataset: tuple[list[str], list[str]]):
        parts = urllib.parse.urlsplit(server.url)
        self.port = parts.port
        params = [("default-graph-uri", g) for g in dataset[0]] + [("named-graph-uri", g) for g in dataset[1]]
        self.path = parts.path + "?" + urllib.parse.urlencode(params)
        self.process = server.process
        self.name = "server"


class RelayPeer(FloorPeer):
    """The relay floor: the HTTP floor's granian over bench/relay_app.py, which passes each query to the
    server (with the dataset the service sends) and its answer back unchanged: what a second hop through
    Python costs before any work of the service."""
    name = "relay"
    app = "bench.relay_app:app"

    def __init__(self, data: Path, workdir: Path, direct: DirectPeer):
        self.target = f"http://127.0.0.1:{direct.port}{direct.path}"
        super().__init__(data, workdir)

    def env(self):
        return {**super().env(), "RELAY_TARGET": self.target}


def _question_path(name: str, example) -> str:
    return f"/api/queries/{name}?" + urllib.parse.urlencode(dict(example))


def _named_questions() -> dict[str, str]:
    """/api/queries/<name>?<first example> for every named question."""
    return {query.name: _question_path(query.name, query.examples[0] if query.examples else {})
            for query in load_library().values()}


def _example_paths() -> list[str]:
    """/api/queries/<name>?<example> for every example of every named question (the answers compared)."""
    return [_question_path(query.name, example)
            for query in load_library().values() for example in (query.examples or ({},))]


def _answers(peer: Peer, paths: list[str], timeout: float) -> dict[str, object]:
    """Each path's rows as a sorted list of canonical JSON texts (the rows' order is the question's,
    but ties are not), or the status when it did not answer 200."""
    import json
    answers: dict[str, object] = {}
    for path in paths:
        status, body = _get_path(peer, path, timeout)
        answers[path] = (sorted(json.dumps(row, sort_keys=True, ensure_ascii=False)
                                for row in json.loads(body)["rows"]) if status == 200 else f"HTTP {status}")
    return answers


def _compare_answers(backend: str, answers: dict, reference: dict, reference_name: str) -> list[str]:
    """Notes on the named questions' examples that ``backend`` answers otherwise than ``reference_name``."""
    def size(answer):
        return f"{len(answer)} rows" if isinstance(answer, list) else answer
    notes = []
    for path, rows in answers.items():
        theirs = reference.get(path)
        if theirs is not None and rows != theirs:
            notes.append(f"{backend} {urllib.parse.unquote(path)}: {size(rows)}, not the {size(theirs)} of "
                         f"{reference_name} (differs)")
    same_count = sum(1 for path in answers if reference.get(path) == answers[path])
    notes.append(f"{backend}: {same_count} of {len(answers)} named-question examples answered exactly as "
                 f"{reference_name} answers them")
    return notes


def _get_path(peer: Peer, path: str, timeout: float) -> tuple[int, bytes]:
    """(status, body); status "timeout" or "error …" when there is no answer (a benchmark row, not a crash)."""
    import http.client
    conn = http.client.HTTPConnection("127.0.0.1", peer.port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Accept": "application/json"})
        response = conn.getresponse()
        return response.status, response.read()
    except (TimeoutError, OSError, http.client.HTTPException) as exc:
        return ("timeout" if isinstance(exc, TimeoutError) else f"error {type(exc).__name__}"), b""
    finally:
        conn.close()


class _PathPeer(Peer):
    """A peer whose 'query' is a whole path of the service (named questions)."""

    def __init__(self, peer: Peer):
        self.port = peer.port
        self.process = peer.process
        self.name = peer.name
        self.path = ""


def run(args) -> str:
    rows: list[tuple] = []            # (backend, query, c, service median, p99, rps, server median, overhead)
    questions: list[tuple] = []       # (backend, name, c, median, rps, errors)
    memories: list[tuple] = []        # (backend, service MB, server MB, ready s)
    notes: list[str] = []
    pairs: list[tuple] = []           # (backend, query, median added ms, p90 added ms, pairs, relay median)
    reference: dict = {}
    reference_answers: dict = {}      # the first backend's rows of each named question's examples
    queries = QUERY_SETS[args.queries]
    accepts = {q: (NTRIPLES if t.lstrip().upper().startswith("CONSTRUCT") else RESULTS_JSON)
               for q, t in queries.items()}
    full = {q: PREFIXES + t for q, t in queries.items()}
    named = _named_questions()
    with tempfile.TemporaryDirectory(prefix="policykg-bench-remote-", dir=args.workdir) as tmp:
        tmp = Path(tmp)
        for backend in args.backends:
            server = None
            print(f"\n== {backend} ==", file=sys.stderr, flush=True)
            try:
                relay = None
                if backend == "embedded":
                    service = PolicykgPeer(args.data, tmp)
                    direct = None
                else:
                    if args.server_dir:
                        server = _bulk_loaded_server(backend, args.server_dir / backend, args.data, notes)
                    else:
                        folder = tmp / backend
                        folder.mkdir()
                        server = (SparqlServer.oxigraph(folder) if backend == "oxigraph-server"
                                  else SparqlServer.virtuoso(folder)).start()
                        if backend == "virtuoso":
                            server.grant_updates()
                        loading = time.monotonic()
                        server.load(args.data)
                        notes.append(f"{backend}: server ready in {server.started_in:.1f} s, {args.data.name} "
                                     f"loaded (policykg load) in {time.monotonic() - loading:.1f} s")
                    service = RemotePolicykgPeer(args.data, tmp, server.url, backend)
                    store = RemoteStore(server.url, DEFAULT_BASE)
                    direct = DirectPeer(server, (store.default_graph_names(), store.graph_names()))
                    relay = RelayPeer(args.data, tmp, direct)
                ready = service.start()
                if relay is not None:
                    try:
                        relay.start(timeout=120)
                    except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
                        notes.append(f"{backend}: the relay floor could not start: {exc}")
                        relay.stop()
                        relay = None
            except (ServerMissing, RuntimeError, OSError, subprocess.SubprocessError) as exc:
                notes.append(f"{backend}: could not start: {exc}")
                if server is not None:
                    server.stop()
                continue
            try:
                for q in queries:
                    try:
                        status, body = request(service, full[q], accepts[q], timeout=args.request_timeout)
                    except (TimeoutError, OSError) as exc:
                        status, body = type(exc).__name__, b""
                    if status != 200:
                        notes.append(f"{backend} {q}: HTTP {status}: {body[:160]!r}")
                        continue
                    answer = normalise(body, accepts[q])
                    if backend == args.backends[0]:
                        reference[q] = answer
                    elif q in reference and not same(answer, reference[q]):
                        notes.append(f"{backend} {q}: results differ from {args.backends[0]}")
                    for c in args.concurrency:
                        m = measure(service, full[q], accepts[q], c, args.requests, args.seconds,
                                    args.request_timeout, distinct=True)
                        d = measure(direct, full[q], accepts[q], c, args.requests, args.seconds,
                                    args.request_timeout, distinct=True) if direct else None
                        overhead = m.median - d.median if d and d.latencies else None
                        rows.append((backend, q, c, m.median, m.percentile(99), m.rps, d.median if d else None,
                                     overhead, m.errors + (d.errors if d else 0)))
                        print(f"  {backend} {q} c={c}: {fmt(m.median, 2)} ms ({fmt(m.rps, 0)} req/s)"
                              + (f", server {fmt(d.median, 2)} ms" if d else ""), file=sys.stderr, flush=True)
                    if direct is not None:
                        refused: Counter = Counter()
                        measured = _interleaved([service] + ([relay] if relay else []), direct, full[q],
                                                accepts[q], args, refused)
                        if refused:
                            counts = sorted(refused.items(), key=str)
                            notes.append(f"{backend} {q}: pair rounds left out, answers not 200: " + ", ".join(
                                f"{name} {status} ×{count}" for (name, status), count in counts))
                        relay_median = measured[1][0] if relay else None
                        pairs.append((backend, q) + measured[0] + (relay_median,))
                if args.no_questions:
                    memories.append((backend, memory(service.process.pid).pss_mb,
                                     memory(server.process.pid).pss_mb if server else None, ready))
                    continue
                path_peer = _PathPeer(service)
                # The first named question builds what the service keeps per state of the data (the
                # resolver, the actor graph): timed on its own, with a longer limit.
                first = time.monotonic()
                status, _ = _get_path(service, next(iter(named.values())), args.warmup_timeout)
                notes.append(f"{backend}: the first named question (building the resolver and what is kept per "
                             f"state of the data) answered {status} in {time.monotonic() - first:.1f} s")
                for name, path in named.items():
                    status, body = _get_path(service, path, args.request_timeout)
                    if status != 200:
                        questions.append((backend, name, None, None, None, f"HTTP {status}"))
                        notes.append(f"{backend} {name}: HTTP {status}: {body[:200].decode('utf-8', 'replace')}")
                        continue
                    for c in args.concurrency:
                        m = _measure_paths(path_peer, path, c, args)
                        questions.append((backend, name, c, m.median, m.rps, m.errors))
                answers = _answers(service, _example_paths(), args.request_timeout)
                if backend == args.backends[0]:
                    reference_answers = answers
                else:
                    notes += _compare_answers(backend, answers, reference_answers, args.backends[0])
                memories.append((backend, memory(service.process.pid).pss_mb,
                                 memory(server.process.pid).pss_mb if server else None, ready))
            finally:
                service.stop()
                if relay is not None:
                    relay.stop()
                if server is not None:
                    server.stop()
    return report(rows, questions, memories, notes, args, pairs)


def _stamp(data: Path) -> str:
    stat = data.stat()
    return f"{data.resolve()} {stat.st_size} {stat.st_mtime_ns}\n"


def _bulk_loaded_server(backend: str, folder: Path, data: Path, notes: list) -> SparqlServer:
    """The server of ``backend`` over ``folder``, holding ``data``: loaded by the server's own bulk
    loader when the folder's stamp names another file (or none), else started as it is."""
    stamp = folder / "loaded.stamp"
    fresh = not (stamp.is_file() and stamp.read_text(encoding="utf-8") == _stamp(data))
    if fresh:
        import shutil
        shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    loading = time.monotonic()
    if backend == "oxigraph-server":
        if fresh:
            oxigraph_bulk_load(folder, data, BULK_LOAD_SECONDS)
        server = SparqlServer.oxigraph(folder).start()
    else:
        server = SparqlServer.virtuoso(folder, buffers=VIRTUOSO_BIG_BUFFERS, readable=(data.parent,)).start()
        if fresh:
            server.grant_updates()
            server.bulk_load_virtuoso(data, BULK_LOAD_SECONDS)
    if fresh:
        stamp.write_text(_stamp(data), encoding="utf-8")
        notes.append(f"{backend}: {data.name} bulk-loaded and the server ready in {time.monotonic() - loading:.0f} s")
    else:
        notes.append(f"{backend}: the server, already loaded with {data.name}, ready in {server.started_in:.1f} s")
    return server


def _interleaved(peers: list[Peer], direct: Peer, query: str, accept: str, args,
                 refused: Counter | None = None) -> list[tuple[float, float, int]]:
    """What each of ``peers`` (the service; the relay floor) adds to the server's own time, request by
    request: the same query (a new text each round, and a comment of its own for each peer, since a
    server may keep compiled queries by their text) to each peer and straight to the server, one after
    the other on keep-alive connections at concurrency 1, so that all meet the same load of the
    (shared) machine, and in turn first, so that none always meets the caches another warmed; for each
    peer the median and 90th percentile of its differences from the server, in ms, and their count. A
    round in which any answer is not 200 is left out, its statuses counted in ``refused`` by peer."""
    from bench.peers import Client
    clients = [Client(peer, args.request_timeout) for peer in (*peers, direct)]
    differences: list[list[float]] = [[] for _ in peers]
    deadline = time.monotonic() + args.seconds * 2 * len(peers)
    try:
        for n in range(args.requests):
            if time.monotonic() > deadline:
                break
            text = f"{query}\n# pair {os.getpid()}-{n}-{time.monotonic_ns()}"
            took = [0.0] * len(clients)
            answered = True
            for turn in range(len(clients)):
                which = (turn + n) % len(clients)
                started = time.perf_counter()
                try:
                    status, _ = clients[which].get(f"{text} {which}", accept)
                except OSError as exc:   # (a timeout included) a refused round, not the end of the run
                    clients[which].close()
                    status = type(exc).__name__
                took[which] = time.perf_counter() - started
                if status != 200:
                    answered = False
                    if refused is not None:
                        refused[(clients[which].peer.name, status)] += 1
            if answered:
                for which, found in enumerate(differences):
                    found.append((took[which] - took[-1]) * 1000)
    finally:
        for client in clients:
            client.close()
    return [_median_p90(found) for found in differences]


def _median_p90(values: list[float]) -> tuple[float, float, int]:
    if not values:
        return float("nan"), float("nan"), 0
    values = sorted(values)
    return values[len(values) // 2], values[int(len(values) * 0.9)], len(values)


def _measure_paths(peer, path: str, c: int, args):
    """bench.measure.measure over GET <path> (the named question's URL) instead of /sparql?query=."""
    from bench import peers as peers_module
    original = peers_module.Client.get

    def get(self, query, accept):   # the "query" is the path itself; a trailing comment is dropped
        return _get_path(self.peer, query.split("\n", 1)[0], self.timeout)
    peers_module.Client.get = get
    try:
        return measure(peer, path, "application/json", c, args.requests, args.seconds, args.request_timeout)
    finally:
        peers_module.Client.get = original


def report(rows, questions, memories, notes, args, pairs=()) -> str:
    start, end = markers(getattr(args, "label", ""))
    title = f"### Over a SPARQL server (bench/remote.py): {args.data.name}"
    lines = [start, "", title, "",
             f"Data: {args.data.name}, queries: {getattr(args, 'queries', 'seed')}. "
             f"Load average at the start: {getattr(args, 'load_before', '?')}, at the end: {_load()}. "
             f"Machine: {machine()}. Each cell: up to {args.requests} requests or {args.seconds:g} s, GET with "
             "keep-alive, every request's text different (no cache helps). `server ms`: the same request sent "
             "straight to the server with the dataset the service sends; `added ms`: the service's median minus "
             "the server's (parse and check, limits, the answer parsed and serialised again, a second HTTP hop).",
             "", "| backend | query | c | service median ms | p99 ms | req/s | server median ms | added ms | errors |",
             "|---|---|---|---|---|---|---|---|---|"]
    for backend, q, c, med, p99, rps, server, added, errors in rows:
        lines.append(f"| {backend} | {q} | {c} | {fmt(med, 2)} | {fmt(p99, 2)} | {fmt(rps, 0)} | "
                     f"{fmt(server, 2) if server is not None else '–'} | "
                     f"{fmt(added, 2) if added is not None else '–'} | {errors} |")
    lines += ["", "| backend | c | geometric mean req/s (/sparql) | median of added ms |", "|---|---|---|---|"]
    for backend in args.backends:
        for c in args.concurrency:
            mine = [r for r in rows if r[0] == backend and r[2] == c]
            added = sorted(r[7] for r in mine if r[7] is not None)
            lines.append(f"| {backend} | {c} | {fmt(geomean(r[5] for r in mine), 0)} | "
                         f"{fmt(added[len(added) // 2], 2) if added else '–'} |")
    lines += ["", "What the service adds per request, measured in pairs (the service and the server directly, one after the "
              "other at c=1, so both meet the same load, each first in turn): median and 90th percentile of the "
              "differences. In the same rounds, the relay floor (bench/relay_app.py under granian with the service's "
              "settings: the query passed on and the answer back, nothing checked or changed) against the server: "
              "what the second hop alone costs.", "",
              "| backend | query | added ms, median | added ms, p90 | relay floor adds, median | pairs |",
              "|---|---|---|---|---|---|"]
    for backend, q, median, p90, count, relay_median in pairs:
        lines.append(f"| {backend} | {q} | {fmt(median, 2)} | {fmt(p90, 2)} | "
                     f"{fmt(relay_median, 2) if relay_median is not None else '–'} | {count} |")
    if getattr(args, "no_questions", False):
        lines += ["", "Named questions: not run this time (`--no-questions`)."]
    else:
        lines += ["", "Named questions (/api/queries/<name>, first example), median ms and req/s:", "",
                  "| question | c | " + " | ".join(f"{b} ms | {b} req/s" for b in args.backends) + " |",
                  "|---|---|" + "---|---|" * len(args.backends)]
    names = list(dict.fromkeys(q[1] for q in questions))
    for name in names:
        for c in args.concurrency:
            cells = []
            for backend in args.backends:
                hit = [q for q in questions if q[0] == backend and q[1] == name and q[2] in (c, None)]
                if not hit:
                    cells += ["–", "–"]
                elif hit[0][2] is None:
                    cells += [str(hit[0][5]), ""]
                else:
                    cells += [fmt(hit[0][3], 2), fmt(hit[0][4], 0)]
            lines.append(f"| {name} | {c} | " + " | ".join(cells) + " |")
    lines += ["", "Memory after the run (PSS, every process summed) and start-up:", "",
              "| backend | service MB | server MB | service ready in s |", "|---|---|---|---|"]
    for backend, service_mb, server_mb, ready in memories:
        lines.append(f"| {backend} | {fmt(service_mb, 0)} | {fmt(server_mb, 0) if server_mb else '–'} | "
                     f"{fmt(ready, 1)} |")
    if notes:
        lines += ["", "Notes:", ""] + [f"- {n}" for n in notes]
    lines += ["", end, ""]
    return "\n".join(lines)


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def write_section(path: Path, section: str, label: str = "", tag: str = "bench/remote.py") -> None:
    """Put ``section`` into ``path``: in place of the previous one of the same tag and label, else at the
    end of the part bench/run.py keeps (its notes, from NOTES_HEADING on)."""
    start, end = markers(label, tag)
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    if start in text and end in text:
        before, rest = text.split(start, 1)
        after = rest.split(end, 1)[1].lstrip("\n")
        text = before + section + after
    else:
        if NOTES_HEADING not in text:
            text += f"\n{NOTES_HEADING}\n\n"
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text, encoding="utf-8")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="policykg over a remote SPARQL server, beside the embedded store")
    parser.add_argument("--data", type=Path, default=ROOT / "build" / "policykg.trig")
    parser.add_argument("--backends", default=",".join(BACKENDS))
    parser.add_argument("--concurrency", default="1,8")
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--request-timeout", type=float, default=60.0)
    parser.add_argument("--warmup-timeout", type=float, default=900.0,
                        help="limit of the first named question, which builds the resolver")
    parser.add_argument("--workdir", type=Path, default=ROOT / "build" / "bench")
    parser.add_argument("--out", type=Path, help="write the section into this markdown file")
    parser.add_argument("--queries", choices=sorted(QUERY_SETS), default="seed",
                        help="seed: the bundled policy's queries; city: the generated register's (bench/run.py)")
    parser.add_argument("--server-dir", type=Path,
                        help="keep each server's loaded folder here and bulk-load it (province-size data)")
    parser.add_argument("--no-questions", action="store_true",
                        help="leave out the named questions (what the service adds to /sparql only)")
    parser.add_argument("--label", default="", help="the section's label in --out (one section per data set)")
    args = parser.parse_args(argv)
    args.concurrency = [int(c) for c in args.concurrency.split(",")]
    args.backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    if set(args.backends) - set(BACKENDS):
        parser.error(f"--backends: choose from {', '.join(BACKENDS)}")
    args.data = args.data.resolve()
    args.server_dir = args.server_dir.resolve() if args.server_dir else None   # the servers run in their folders
    args.workdir.mkdir(parents=True, exist_ok=True)
    os.environ.update(POLICYKG_SETTINGS)
    args.load_before = _load()
    section = run(args)
    print(section)
    if args.out:
        write_section(args.out, section, args.label)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
