"""Benchmark: why the relay floor costs more over Virtuoso's large answers. The answer's bytes, or the
server's work before it?

    python -m bench.relay_cache --server-dir build/bench/servers --out bench/RESULTS.md

The relay floor (bench/relay_app.py under granian, bench/remote.py) passes answers on unchanged. Over
the province-size graph it added about 0.6 ms to Virtuoso's 165 KB `join` and about 0.2 ms to Oxigraph's
143 KB answer to the same query. This run keeps the bytes and changes the work. A stand-in server
answers every request with the bytes of one real answer, captured from the loaded Virtuoso, in one
burst as Virtuoso sends it. Before it answers, it works for as long as the real server took, in one
of two ways:

    spin   a loop that touches no memory beyond its own few variables;
    fill   writing a 32 MB buffer a megabyte at a time, over and over (the size of this machine's
           L3 cache, its L2 caches 1 MB a core), as a join over a large database reads its pages:
           much of what the relay and the client had in the caches is gone when the answer comes
           (a 1 ms lookup's work writes only about 12 MB of it).

In the same run the relay floor is measured over the real server too, with the same interleaved pairs as
bench/remote.py (each request to the relay and straight to the server, in turn first).
"""
from __future__ import annotations

import argparse
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench.peers import RESULTS_JSON, ROOT, Client, Peer
from bench.remote import DirectPeer, RelayPeer, _interleaved, _load, markers, write_section
from bench.run import CITY_QUERIES, PREFIXES, machine
from bench.servers import SparqlServer
from policykg.settings import DEFAULT_BASE
from policykg.store.remote import RemoteStore

QUERIES = ("join", "lookup")
WORKS = ("spin", "fill")
FILL_BYTES = 32 << 20
SLICE = 1 << 20
TAG = "bench/relay_cache.py"


# -- the stand-in server (run as its own process: `python -m bench.relay_cache serve …`) ---------------

def _work(kind: str, seconds: float, buffer: memoryview, fills: tuple[bytes, bytes]) -> None:
    """Work for ``seconds``: spin, or fill ``buffer`` a slice at a time (the time looked at after each
    slice, so that the work ends within a slice's 0.1 ms of when it should)."""
    end = time.perf_counter() + seconds
    turn = 0
    while time.perf_counter() < end:
        if kind == "fill":
            at = turn * SLICE % FILL_BYTES
            buffer[at:at + SLICE] = fills[turn * SLICE // FILL_BYTES % 2]   # a new value each pass
            turn += 1


def _answer_all(connection: socket.socket, reply: bytes, kind: str, seconds: float, buffer, fills) -> None:
    """Every request on one keep-alive connection: its head read, the work done, the reply sent in one write."""
    connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    pending = b""
    with connection:
        while True:
            while b"\r\n\r\n" not in pending:
                data = connection.recv(65536)
                if not data:
                    return
                pending += data
            pending = pending.split(b"\r\n\r\n", 1)[1]   # GET only: no body follows the head
            _work(kind, seconds, buffer, fills)
            connection.sendall(reply)


def serve(port: int, body: bytes, kind: str, seconds: float) -> None:
    reply = (b"HTTP/1.1 200 OK\r\nConnection: Keep-Alive\r\nContent-Type: application/sparql-results+json\r\n"
             b"Content-Length: %d\r\n\r\n" % len(body)) + body
    buffer = memoryview(bytearray(FILL_BYTES))
    fills = (b"\x01" * SLICE, b"\x02" * SLICE)
    listener = socket.create_server(("127.0.0.1", port))
    while True:
        connection, _ = listener.accept()
        threading.Thread(target=_answer_all, args=(connection, reply, kind, seconds, buffer, fills),
                         daemon=True).start()


class StandInPeer(Peer):
    """The stand-in server as a peer of the benchmark (its own process, on a free loopback port)."""
    path = "/sparql?stand-in=1"

    def __init__(self, workdir: Path, body_file: Path, kind: str, seconds: float):
        self.name = f"stand-in-{kind}"
        self.body_file, self.kind, self.seconds = body_file, kind, seconds
        super().__init__(body_file, workdir)

    def command(self):
        return [sys.executable, "-m", "bench.relay_cache", "serve", "--port", str(self.port),
                "--body", str(self.body_file), "--work", self.kind, "--work-ms", str(self.seconds * 1000)]


# -- the run --------------------------------------------------------------------------------------------

def _captured(direct: DirectPeer, query: str) -> tuple[bytes, float]:
    """The server's answer to ``query`` and the median of its own time over a few requests (s)."""
    client = Client(direct, 120)
    times = []
    try:
        for n in range(9):
            started = time.perf_counter()
            status, body = client.get(f"{query}\n# capture {n}", RESULTS_JSON)
            times.append(time.perf_counter() - started)
            if status != 200:
                raise RuntimeError(f"the server answered {status}: {body[:300]!r}")
    finally:
        client.close()
    return body, statistics.median(times[1:])


def _pairs(relay_of, direct: Peer, query: str, args) -> tuple[float, float, int]:
    relay = relay_of(direct)
    relay.start(timeout=120)
    try:
        ((median, p90, count),) = _interleaved([relay], direct, query, RESULTS_JSON, args)
    finally:
        relay.stop()
    return median, p90, count


def run(args) -> str:
    rows = []   # (server, query, bytes, work, ms of work, relay median, p90, pairs)
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        workdir = Path(tmp)

        def relay_of(direct):
            return RelayPeer(workdir / "unused", workdir, direct)
        server = SparqlServer.virtuoso(args.server_dir.resolve() / "virtuoso").start()
        captured = {}
        try:
            store = RemoteStore(server.url, DEFAULT_BASE)
            direct = DirectPeer(server, (store.default_graph_names(), store.graph_names()))
            for name in QUERIES:
                query = PREFIXES + CITY_QUERIES[name]
                body, took = _captured(direct, query)
                (workdir / f"{name}.json").write_bytes(body)
                captured[name] = (query, len(body), took)
                rows.append(("Virtuoso", name, len(body), "its own", took * 1000,
                             *_pairs(relay_of, direct, query, args)))
        finally:
            server.stop()
        for name, (query, size, took) in captured.items():
            for kind in WORKS:
                stand_in = StandInPeer(workdir, workdir / f"{name}.json", kind, took)
                stand_in.start(timeout=60)
                try:
                    rows.append(("stand-in", name, size, kind, took * 1000,
                                 *_pairs(relay_of, stand_in, query, args)))
                finally:
                    stand_in.stop()
    return report(rows, args)


def report(rows, args) -> str:
    start, end = markers(tag=TAG)
    lines = [start, "", "### The relay floor and the server's work (bench/relay_cache.py)", "",
             f"Machine: {machine()}. Load average at the end: {_load()}. The province-size Virtuoso of "
             f"{args.server_dir}, then a stand-in answering with the bytes Virtuoso gave, after working as long as "
             f"Virtuoso took (the median of 8 requests) by spinning or by filling a {FILL_BYTES >> 20} MB buffer. "
             f"Each cell: up to {args.requests} interleaved pairs or {args.seconds:g} s; what the relay floor "
             "(bench/relay_app.py under granian) adds to the server's own time, request by request.", "",
             "| server | query | answer | work before answering | ms of work | relay floor adds, median ms "
             "| p90 ms | pairs |",
             "|---|---|---:|---|---:|---:|---:|---:|"]
    for server, name, size, kind, work_ms, median, p90, count in rows:
        lines.append(f"| {server} | {name} | {size / 1000:.0f} KB | {kind} | {work_ms:.1f} | {median:.2f} "
                     f"| {p90:.2f} | {count} |")
    return "\n".join(lines + ["", end, ""])


def main(argv=None) -> int:
    if argv is None:
        argv = sys.argv[1:]
    if argv[:1] == ["serve"]:
        parser = argparse.ArgumentParser(prog="bench.relay_cache serve")
        parser.add_argument("--port", type=int, required=True)
        parser.add_argument("--body", type=Path, required=True)
        parser.add_argument("--work", choices=WORKS, required=True)
        parser.add_argument("--work-ms", type=float, required=True)
        served = parser.parse_args(argv[1:])
        serve(served.port, served.body.read_bytes(), served.work, served.work_ms / 1000)
        return 0
    parser = argparse.ArgumentParser(description="the relay floor in front of Virtuoso and of a stand-in that "
                                                 "spins or fills memory before answering with Virtuoso's bytes")
    parser.add_argument("--server-dir", type=Path, default=ROOT / "build" / "bench" / "servers",
                        help="bench/remote.py's folder of loaded servers (its virtuoso/ is used)")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--request-timeout", type=float, default=60.0)
    parser.add_argument("--workdir", type=Path, default=ROOT / "build" / "bench")
    parser.add_argument("--out", type=Path, help="write the section into this markdown file")
    args = parser.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    section = run(args)
    if args.out:
        write_section(args.out, section, tag=TAG)
    print(section)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
