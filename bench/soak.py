"""The soak of issue 15: ``policykg serve`` under mixed load, idle connections and kill -9, for minutes.

    python -m bench.soak --data build/policykg.trig [--seconds 600] [--clients 32] [--idle 64] \
        [--kill-every 60] [--out bench/SOAK.md]          (``make soak``; not in CI: CPU-heavy)

Starts the service on the bundled data on a free 127.0.0.1 port, then, for ``--seconds``:

* ``--clients`` clients on keep-alive sessions: SPARQL GET and POST (form and direct body) of
  user queries, named questions (/api/queries/<name> with their examples), /api/ask, pages, dumps;
  two of them send only queries over the time limit and queries over their memory budget, which
  must be answered with the documented 503s;
* ``--idle`` TCP connections held open without a byte sent (opened again when the server closes them);
* every ``--kill-every`` seconds a kill -9 of a random server process or evaluation process;
* every 10 s the PSS and RSS of all the service's processes, summed.

Every answer is recorded. The run passes when: no 5xx but the documented 503s (busy, timeout,
resource_limit, unavailable), except answers cut by a kill of an evaluation process; no request
without an answer (connection error, time-out) except within a few seconds after a kill of a server
process; the service still answers at the end; and the PSS averaged over the last minute is within
15 % of its average over the second minute. The report goes to ``--out``; the exit status is 1 when
a criterion fails.
"""
from __future__ import annotations

import argparse
import collections
import contextlib
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

from bench.measure import _kb, service_processes
from bench.peers import ROOT, VENV_BIN, free_port
from policykg.files import write_atomically

JSON_RESULTS = "application/sparql-results+json"
# SELECT/ASK as JSON results, CONSTRUCT as Turtle.
SPARQL_ACCEPT = "application/sparql-results+json, text/turtle;q=0.9"
DOCUMENTED_503 = {"busy", "timeout", "resource_limit", "unavailable"}
KILL_WINDOW = 5.0          # seconds after a kill in which a failure is counted as the kill's
REQUEST_TIMEOUT = 60.0
SAMPLE_EVERY = 10.0
MEMORY_TOLERANCE = 0.15

USER_QUERIES = [
    "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
    "SELECT ?s ?l WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?l } LIMIT 50",
    "SELECT ?t (COUNT(?s) AS ?n) WHERE { ?s a ?t } GROUP BY ?t ORDER BY DESC(?n) LIMIT 10",
    "ASK { ?s ?p ?o }",
    "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 200",
]
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
BOMB = "SELECT ?a ?c WHERE { ?a ?p ?b . ?c ?q ?d } ORDER BY ?a ?c ?b ?d LIMIT 1"
ASK_QUESTIONS = ["谁负责城市社区党组织建设", "居委会的职责", "区委书记的责任", "经费由谁承担", "述职"]
PAGES = ["/", "/document", "/actors", "/questions", "/search?q=%E8%BF%B0%E8%81%8C", "/void"]
DUMPS = ["/dump.ttl", "/dump.nq"]
SERVICE_ENV = {
    "POLICYKG_QUERY_TIMEOUT": "5",        # runaways stopped sooner than the default 10 s
    "POLICYKG_QUERY_MEMORY_MB": "200",
    "POLICYKG_MAX_RESULTS": "10000000",   # the bomb must reach its memory budget, not the row limit
}


@dataclass
class Outcome:
    at: float
    kind: str
    status: object          # HTTP status, or the name of the exception
    code: str | None = None
    seconds: float = 0.0


@dataclass
class Log:
    outcomes: list = field(default_factory=list)
    kills: list = field(default_factory=list)          # (at, "server"|"evaluation", pid)
    memory: list = field(default_factory=list)         # (at, pss_mb, rss_mb, processes)
    memory_parts: list = field(default_factory=list)   # (server processes' PSS, evaluation processes')
    idle_reopened: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, outcome: Outcome) -> None:
        with self.lock:
            self.outcomes.append(outcome)


def _children(pid: int) -> set[int]:
    found = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError, ValueError):
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid and fields[0] != "Z":
                found.add(int(entry))
    return found


def evaluation_pids(supervisor: int) -> set[int]:
    """The evaluation processes: children of the forker named in the service's runtime folder."""
    for folder in Path(tempfile.gettempdir()).glob("policykg-run-*"):
        with contextlib.suppress(OSError, ValueError):
            if int((folder / "supervisor.pid").read_text(encoding="ascii").strip()) == supervisor:
                return _children(int((folder / "forker.pid").read_text(encoding="ascii").strip()))
    return set()


def _error_code(response: requests.Response) -> str | None:
    with contextlib.suppress(ValueError, KeyError, TypeError, AttributeError):
        return response.json()["error"]["code"]
    return None


def _named_requests(base: str) -> list[str]:
    """/api/queries/<name>?<example> for every named question with an example."""
    rows = requests.get(f"{base}/api/queries", timeout=30).json()["rows"]
    urls = []
    for row in rows:
        for example in row.get("examples") or [{}]:
            query = "&".join(f"{k}={requests.utils.quote(str(v))}" for k, v in example.items())
            urls.append(f"{row['url']}?{query}" if query else row["url"])
    return urls


def _one_request(session: requests.Session, base: str, kind: str, named: list[str], rng: random.Random):
    if kind == "sparql_get":
        return session.get(f"{base}/sparql", params={"query": rng.choice(USER_QUERIES)},
                           headers={"Accept": SPARQL_ACCEPT}, timeout=REQUEST_TIMEOUT)
    if kind == "sparql_post_form":
        return session.post(f"{base}/sparql", data={"query": rng.choice(USER_QUERIES)},
                            headers={"Accept": SPARQL_ACCEPT}, timeout=REQUEST_TIMEOUT)
    if kind == "sparql_post_direct":
        return session.post(f"{base}/sparql", data=rng.choice(USER_QUERIES).encode(),
                            headers={"Accept": SPARQL_ACCEPT, "Content-Type": "application/sparql-query"},
                            timeout=REQUEST_TIMEOUT)
    if kind == "named":
        return session.get(base + rng.choice(named), timeout=REQUEST_TIMEOUT)
    if kind == "ask":
        return session.get(f"{base}/api/ask", params={"q": rng.choice(ASK_QUESTIONS)}, timeout=REQUEST_TIMEOUT)
    if kind == "page":
        return session.get(base + rng.choice(PAGES), headers={"Accept": "text/html"}, timeout=REQUEST_TIMEOUT)
    if kind == "dump":
        return session.get(base + rng.choice(DUMPS), timeout=REQUEST_TIMEOUT)
    query = RUNAWAY if kind == "runaway" else BOMB
    return session.get(f"{base}/sparql", params={"query": f"{query} # {rng.random()}"},
                       headers={"Accept": JSON_RESULTS}, timeout=REQUEST_TIMEOUT)


MIX = [("sparql_get", 6), ("sparql_post_form", 3), ("sparql_post_direct", 3), ("named", 6), ("ask", 3),
       ("page", 3), ("dump", 1)]


def client(index: int, base: str, named: list[str], log: Log, stop: threading.Event, abuser: bool) -> None:
    rng = random.Random(index)
    kinds, weights = zip(*MIX)
    session = requests.Session()
    for _ in range(10_000_000):
        if stop.is_set():
            break
        kind = ("runaway" if rng.random() < 0.5 else "bomb") if abuser else rng.choices(kinds, weights)[0]
        started = time.monotonic()
        try:
            response = _one_request(session, base, kind, named, rng)
            _ = response.content
            log.add(Outcome(started, kind, response.status_code,
                            _error_code(response) if response.status_code >= 400 else None,
                            time.monotonic() - started))
        except requests.RequestException as exc:
            log.add(Outcome(started, kind, type(exc).__name__, None, time.monotonic() - started))
            session.close()
            session = requests.Session()
        if abuser:
            stop.wait(2.0)


def idle_holder(port: int, count: int, log: Log, stop: threading.Event) -> None:
    """``count`` connections open without a byte sent; one the server closed is opened again."""
    def connect():
        with contextlib.suppress(OSError):
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            sock.setblocking(False)
            return sock
        return None

    socks = [connect() for _ in range(count)]
    try:
        for _ in range(10_000_000):
            if stop.wait(0.5):
                break
            for i, sock in enumerate(socks):
                closed = sock is None
                if sock is not None:
                    try:
                        closed = sock.recv(4096) == b""   # the server closed it (an idle time-out)
                    except BlockingIOError:
                        closed = False
                    except OSError:
                        closed = True
                if closed:
                    if sock is not None:
                        sock.close()
                    socks[i] = connect()
                    with log.lock:
                        log.idle_reopened += 1
    finally:
        for sock in socks:
            if sock is not None:
                sock.close()


def killer(supervisor: int, every: float, log: Log, stop: threading.Event, rng: random.Random) -> None:
    for _ in range(100_000):
        if stop.wait(every):
            break
        kind = rng.choice(["server", "evaluation"])
        pids = _children(supervisor) if kind == "server" else evaluation_pids(supervisor)
        if not pids:
            continue
        pid = rng.choice(sorted(pids))
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
            with log.lock:
                log.kills.append((time.monotonic(), kind, pid))


def _pss_mb(pids) -> float:
    return sum(_kb(f"/proc/{p}/smaps_rollup", "Pss") for p in pids) / 1024


def sampler(supervisor: int, log: Log, stop: threading.Event) -> None:
    for _ in range(1_000_000):
        pids = service_processes(supervisor)
        pss = _pss_mb(pids)
        rss = sum(_kb(f"/proc/{p}/status", "VmRSS") for p in pids) / 1024
        # Where it is: the server processes, the evaluation processes (the rest: supervisor and forker).
        servers, evaluations = _children(supervisor), evaluation_pids(supervisor)
        with log.lock:
            log.memory.append((time.monotonic(), pss, rss, len(pids)))
            log.memory_parts.append((_pss_mb(servers), _pss_mb(evaluations)))
        if stop.wait(SAMPLE_EVERY):
            break


def _ended_after_kill(outcome: Outcome, kills: list, kind: str | None = None) -> bool:
    """A request in flight when a process was killed, or sent within KILL_WINDOW after."""
    end = outcome.at + outcome.seconds
    return any(outcome.at - 1.0 <= k_at + KILL_WINDOW and end >= k_at - 1.0 and (kind is None or k_kind == kind)
               for k_at, k_kind, _ in kills)


def judge(log: Log, started: float, seconds: float) -> dict:
    """The criteria of the issue, from the log."""
    statuses = collections.Counter(str(o.status) for o in log.outcomes)
    codes_503 = collections.Counter(o.code or "(no code)" for o in log.outcomes if o.status == 503)
    by_kind = collections.defaultdict(list)
    for o in log.outcomes:
        by_kind[o.kind].append(o)
    bad_5xx, killed_5xx, dropped, killed_dropped = [], [], [], []
    for o in log.outcomes:
        if isinstance(o.status, int):
            if o.status >= 500 and not (o.status == 503 and o.code in DOCUMENTED_503):
                # An evaluation process killed under a query: its answer is the engine's crash.
                (killed_5xx if _ended_after_kill(o, log.kills, "evaluation") else bad_5xx).append(o)
        else:
            (killed_dropped if _ended_after_kill(o, log.kills, "server") else dropped).append(o)
    # Runaway and memory-bomb queries: a documented 503 each (or cut by a kill, counted above).
    expected_503 = [o for o in log.outcomes if o.kind in ("runaway", "bomb") and o not in killed_5xx
                    and o not in killed_dropped]
    abuse_ok = [o for o in expected_503 if o.status == 503 and o.code in DOCUMENTED_503]
    memory = _memory_verdict(log.memory, started)
    return {
        "requests": len(log.outcomes), "statuses": dict(statuses), "codes_503": dict(codes_503),
        "kinds": {k: _latency(v) for k, v in sorted(by_kind.items())},
        "bad_5xx": bad_5xx, "killed_5xx": killed_5xx, "dropped": dropped, "killed_dropped": killed_dropped,
        "abuse": (len(abuse_ok), len(expected_503)), "memory": memory,
    }


def _latency(outcomes: list) -> dict:
    times = sorted(o.seconds for o in outcomes)
    ok = sum(1 for o in outcomes if o.status == 200)
    return {"n": len(outcomes), "ok": ok, "p50": statistics.median(times) if times else 0.0,
            "p99": times[min(len(times) - 1, int(len(times) * 0.99))] if times else 0.0}


def _memory_verdict(samples: list, started: float) -> dict:
    second = [pss for at, pss, _, _ in samples if 60 <= at - started < 120]
    end = max((at for at, *_ in samples), default=started)
    last = [pss for at, pss, _, _ in samples if at >= end - 60]
    if not second or not last:
        return {"second_minute": None, "last_minute": None, "ratio": None, "flat": None}
    a, b = statistics.mean(second), statistics.mean(last)
    return {"second_minute": a, "last_minute": b, "ratio": b / a, "flat": b <= a * (1 + MEMORY_TOLERANCE),
            "medians": (statistics.median(second), statistics.median(last))}


def verdict(result: dict, alive: bool) -> list[str]:
    """The failed criteria (empty: the soak passed)."""
    failed = []
    if result["bad_5xx"]:
        failed.append(f"{len(result['bad_5xx'])} 5xx answers other than the documented 503s")
    if result["dropped"]:
        failed.append(f"{len(result['dropped'])} requests without an answer outside the killed processes")
    if not alive:
        failed.append("the service did not answer at the end")
    if result["memory"]["flat"] is False:
        failed.append(f"memory grew: last-minute PSS {result['memory']['ratio']:.2f}× the second minute's")
    if result["memory"]["flat"] is None:
        failed.append("too short to judge memory (needs at least three minutes)")
    ok_abuse, all_abuse = result["abuse"]
    if ok_abuse != all_abuse:
        failed.append(f"{all_abuse - ok_abuse} of {all_abuse} runaway or memory-bomb queries not answered with "
                      "a documented 503")
    return failed


def report(args, result: dict, log: Log, failed: list[str], started_wall: str, took: float) -> str:
    kills = collections.Counter(kind for _, kind, _ in log.kills)
    lines = [
        "# Soak (issue 15)", "",
        f"`python -m bench.soak` (`make soak`), started {started_wall} UTC, {took:.0f} s: "
        f"{args.clients} clients ({args.clients - 2} mixed, 2 sending runaway and memory-bomb queries), "
        f"{args.idle} idle connections, a kill -9 every {args.kill_every:g} s, on a shared 2-CPU machine "
        f"(other work running beside it). Service: `policykg serve` on the bundled data, default settings "
        f"but {', '.join(f'{k}={v}' for k, v in SERVICE_ENV.items())}.", "",
        f"**Result: {'PASS' if not failed else 'FAIL'}**" + ("" if not failed else " — " + "; ".join(failed)), "",
        "| criterion | measured |", "|---|---|",
        f"| requests answered / sent | {sum(1 for o in log.outcomes if isinstance(o.status, int))} / "
        f"{result['requests']} |",
        f"| 5xx other than the documented 503s | {len(result['bad_5xx'])} "
        f"(+ {len(result['killed_5xx'])} cut by a kill of their evaluation process) |",
        f"| requests without an answer outside the killed process | {len(result['dropped'])} "
        f"(+ {len(result['killed_dropped'])} within {KILL_WINDOW:g} s of a server-process kill) |",
        f"| runaway / memory-bomb queries answered with a documented 503 | {result['abuse'][0]} / "
        f"{result['abuse'][1]} |",
        f"| kills | {len(log.kills)} ({kills.get('server', 0)} server, {kills.get('evaluation', 0)} evaluation) |",
        f"| idle connections re-opened after the server closed them | {log.idle_reopened} |",
    ]
    m = result["memory"]
    if m["ratio"] is not None:
        lines.append(f"| PSS, mean of the second minute → of the last minute | {m['second_minute']:.0f} MB → "
                     f"{m['last_minute']:.0f} MB ({m['ratio']:.2f}×; flat within {MEMORY_TOLERANCE:.0%}: "
                     f"{'yes' if m['flat'] else 'no'}); medians {m['medians'][0]:.0f} → {m['medians'][1]:.0f} MB |")
    lines += ["", "Statuses: " + ", ".join(f"{k}: {v}" for k, v in sorted(result["statuses"].items())),
              "", "503 codes: " + (", ".join(f"{k}: {v}" for k, v in sorted(result["codes_503"].items())) or "none"),
              "", "| request kind | sent | 200 | p50 s | p99 s |", "|---|---|---|---|---|"]
    for kind, row in result["kinds"].items():
        lines.append(f"| {kind} | {row['n']} | {row['ok']} | {row['p50']:.3f} | {row['p99']:.3f} |")
    lines += ["", "Memory of all the service's processes (sampled every 10 s):", "",
              "| s | PSS MB | of it: server processes | evaluation processes | RSS MB | processes |",
              "|---|---|---|---|---|---|"]
    t0 = log.memory[0][0] if log.memory else 0
    for (at, pss, rss, n), (servers, evaluations) in list(zip(log.memory, log.memory_parts))[::3]:
        lines.append(f"| {at - t0:.0f} | {pss:.0f} | {servers:.0f} | {evaluations:.0f} | {rss:.0f} | {n} |")
    slowest = sorted(log.outcomes, key=lambda o: -o.seconds)[:8]
    t_first = log.memory[0][0] if log.memory else 0
    lines += ["", "Slowest requests (s after start, kind, status, code, seconds):", ""]
    lines += [f"- {o.at - t_first:.1f} {o.kind} {o.status} {o.code or ''} {o.seconds:.1f}" for o in slowest]
    lines += ["", "Kills (s after start, process kind, pid): "
              + ", ".join(f"{at - t_first:.0f} {kind} {pid}" for at, kind, pid in log.kills)]
    problems = result["bad_5xx"] + result["dropped"]
    if problems:
        lines += ["", "First failures (s after start, kind, status, code):", ""]
        t_start = log.memory[0][0] if log.memory else 0
        for o in problems[:20]:
            lines.append(f"- {o.at - t_start:.1f} {o.kind} {o.status} {o.code or ''} ({o.seconds:.1f} s)")
    return "\n".join(lines) + "\n"


def _write(path: Path, text: str) -> None:
    write_atomically(path, text.encode("utf-8"))


def start_service(data: Path, port: int, log_path: Path) -> subprocess.Popen:
    env = {**os.environ, **SERVICE_ENV}
    out = open(log_path, "wb")
    proc = subprocess.Popen([str(VENV_BIN / "policykg"), "serve", "--data", str(data), "--host", "127.0.0.1",
                             "--port", str(port)], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"policykg serve exited with {proc.returncode}; see {log_path}")
        with contextlib.suppress(requests.RequestException):
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return proc
        time.sleep(0.2)
    proc.kill()
    raise SystemExit(f"policykg serve did not answer in 180 s; see {log_path}")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", required=True, type=Path)
    p.add_argument("--seconds", type=float, default=float(os.environ.get("SOAK_SECONDS", 600)))
    p.add_argument("--clients", type=int, default=32)
    p.add_argument("--idle", type=int, default=64)
    p.add_argument("--kill-every", type=float, default=60.0, dest="kill_every")
    p.add_argument("--out", type=Path, default=ROOT / "bench" / "SOAK.md")
    p.add_argument("--seed", type=int, default=15)
    args = p.parse_args(argv)

    port = free_port()
    server_log = Path(tempfile.gettempdir()) / f"policykg-soak-{port}.log"
    service = start_service(args.data, port, server_log)
    base = f"http://127.0.0.1:{port}"
    log, stop = Log(), threading.Event()
    started_wall = time.strftime("%Y-%m-%d %H:%M", time.gmtime())
    alive = False
    try:
        named = _named_requests(base)
        started = time.monotonic()
        threads = [threading.Thread(target=sampler, args=(service.pid, log, stop), daemon=True),
                   threading.Thread(target=idle_holder, args=(port, args.idle, log, stop), daemon=True),
                   threading.Thread(target=killer, args=(service.pid, args.kill_every, log, stop,
                                                         random.Random(args.seed)), daemon=True)]
        threads += [threading.Thread(target=client, args=(i, base, named, log, stop, i < 2), daemon=True)
                    for i in range(args.clients)]
        for thread in threads:
            thread.start()
        stop.wait(args.seconds)
        stop.set()
        for thread in threads:
            thread.join(REQUEST_TIMEOUT + 10)
        took = time.monotonic() - started
        with contextlib.suppress(requests.RequestException):
            alive = service.poll() is None and requests.get(
                f"{base}/sparql", params={"query": "ASK { ?s ?p ?o }"}, headers={"Accept": JSON_RESULTS},
                timeout=30).json().get("boolean") is True
    finally:
        stop.set()
        service.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            service.wait(15)
        if service.poll() is None:
            service.kill()
    result = judge(log, started, args.seconds)
    failed = verdict(result, alive)
    text = report(args, result, log, failed, started_wall, took)
    _write(args.out, text)
    print(text)
    print(f"service log: {server_log}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
