"""Memory, start-up and replacement of ``policykg serve``, against one in-process copy of the data.

    python -m bench.footprint --data build/policykg.trig [--data build/bench/city-620k.nq] \
        [--workers 2] [--query-processes 2] [--out FILE.md]

For each data file: the time from start until every server process answers; the PSS (the
shared pages split between the processes that share them) and RSS of every process of the
service, summed, when ready and after a few queries; the same for one Python process that
holds the data in a pyoxigraph store (the "one copy" of the issue); the time until a server
process killed with SIGKILL is replaced and answers; and the time until an evaluation process
stopped by the time limit is replaced (a query answers again). PSS comes from
``/proc/PID/smaps_rollup``: it is the honest sum, RSS counts a shared page in every process.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import subprocess
import sys
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from bench.measure import _kb, service_processes
from bench.peers import ROOT, VENV_BIN, free_port, wait_in_memory

QUERIES = [
    "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
    "SELECT ?s ?l WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?l } LIMIT 50",
    "SELECT ?t (COUNT(?s) AS ?n) WHERE { ?s a ?t } GROUP BY ?t ORDER BY DESC(?n) LIMIT 10",
]
# A query that runs over any small time limit (a cross join counted), to measure replacement.
IDLE = 3.0   # seconds without queries before the "idle" measurement
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


@dataclass
class Footprint:
    pss_mb: float
    rss_mb: float
    processes: int


def footprint(pid: int) -> Footprint:
    pids = service_processes(pid)
    pss = sum(_kb(f"/proc/{p}/smaps_rollup", "Pss") for p in pids)
    rss = sum(_kb(f"/proc/{p}/status", "VmRSS") for p in pids)
    return Footprint(pss / 1024, rss / 1024, len(pids))


def _get(port: int, path: str, timeout: float = 30) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Accept": "application/sparql-results+json"})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def _query(port: int, text: str, timeout: float = 60) -> int:
    return _get(port, "/sparql?" + urllib.parse.urlencode({"query": text}), timeout)[0]


def _pids_answering(port: int, wanted: int, seconds: float, exclude=frozenset()) -> set[int]:
    seen: set[int] = set()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            status, body = _get(port, "/healthz", 5)
            if status == 200:
                pid = json.loads(body)["pid"]
                if pid not in exclude:
                    seen.add(pid)
        except (OSError, ValueError, KeyError):
            time.sleep(0.05)
        if len(seen) >= wanted:
            break
    return seen


def in_process_copy(data: Path) -> Footprint:
    """One Python process with pyoxigraph and the data in an in-memory store (nothing else)."""
    code = ("import sys, pyoxigraph as ox\n"
            "from policykg.store.backend import load_file\n"
            "from pathlib import Path\n"
            "s = ox.Store(); load_file(s, Path(sys.argv[1]))\n"
            "print(len(s), flush=True); sys.stdin.readline()\n")
    child = subprocess.Popen([sys.executable, "-c", code, str(data)], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
    try:
        child.stdout.readline()
        found = footprint(child.pid)
        print(f"one in-process copy of {data.name}: PSS {found.pss_mb:,.0f} MB, RSS {found.rss_mb:,.0f} MB",
              file=sys.stderr, flush=True)
        return found
    finally:
        child.kill()   # freeing millions of quads takes longer than killing (a minute at 6M quads)
        child.wait(60)


def serve(data: Path, workers: int, query_processes: int, extra_env: dict, log: Path):
    port = free_port()
    env = {**os.environ, "POLICYKG_QUERY_WORKERS": str(workers), "POLICYKG_QUERY_PROCESSES": str(query_processes),
           "POLICYKG_QUERY_TIMEOUT": "2", **extra_env}
    started = time.monotonic()
    process = subprocess.Popen([str(VENV_BIN / "policykg"), "serve", "--data", str(data), "--host", "127.0.0.1",
                                "--port", str(port)], cwd=ROOT, env=env, stdout=open(log, "ab"),
                               stderr=subprocess.STDOUT)
    if len(_pids_answering(port, workers, 900)) < workers:
        process.kill()
        raise RuntimeError(f"policykg did not start; see {log}")
    return process, port, time.monotonic() - started


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) the service's live processes have used, in seconds: on a shared,
    loaded machine the start-up's wall time says more about the neighbours than about the service."""
    total = 0
    for p in service_processes(pid):
        try:
            with open(f"/proc/{p}/stat", encoding="ascii", errors="replace") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(v) for v in fields[11:15])   # utime, stime, and of children waited for
    return total / os.sysconf("SC_CLK_TCK")


def load_average() -> str:
    return " / ".join(f"{x:.1f}" for x in os.getloadavg())


def stop(process) -> None:
    process.terminate()
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(30)


def measure_file(data: Path, workers: int, query_processes: int, workdir: Path, extra_env: dict,
                 keep_cache: bool = False) -> dict:
    row: dict = {"data": data.name, "quads": sum(1 for _ in open(data, "rb")) if data.suffix == ".nq" else None}
    row["one_copy"] = in_process_copy(data)
    # The first start builds the data cache's entry for the file (parsing it); the restart uses it.
    cache = Path(extra_env.get("POLICYKG_DATA_CACHE") or workdir / "footprint-cache")
    extra_env = {**extra_env, "POLICYKG_DATA_CACHE": str(cache)}
    if cache.is_dir() and not keep_cache:
        for old in list(cache.iterdir()):
            if old.name != "index.json":
                subprocess.run(["rm", "-rf", str(old)], check=False)
    log = workdir / "footprint.log"
    log.touch()
    row["load_before"] = load_average()
    offset, started = log.stat().st_size, time.monotonic()
    process, port, row["first_start_s"] = serve(data, workers, query_processes, extra_env, log)
    row["first_memory_s"] = wait_in_memory(log, offset, started)   # the copy for the restart's fast load
    stop(process)
    offset, started = log.stat().st_size, time.monotonic()
    process, port, row["startup_s"] = serve(data, workers, query_processes, extra_env, log)
    try:
        row["startup_cpu_s"] = cpu_seconds(process.pid)
        time.sleep(1.0)   # let the evaluation processes settle after their start
        row["ready"] = footprint(process.pid)
        row["memory_s"] = wait_in_memory(log, offset, started)
        if row["memory_s"] is not None:
            time.sleep(2.0)   # idle evaluation processes move to the copy (query_idle_refork)
        row["in_memory"] = footprint(process.pid)
        for text in QUERIES:
            _query(port, text)
        for n in range(20):
            _query(port, f"{QUERIES[1]} # {n}")
        row["after"] = footprint(process.pid)
        time.sleep(IDLE)   # idle: evaluation processes that copied what they scanned are replaced
        row["idle"] = footprint(process.pid)
        # A server process killed: until a fresh one answers.
        old = _pids_answering(port, workers, 60)
        victim = min(old)
        killed = time.monotonic()
        os.kill(victim, signal.SIGKILL)
        fresh = _pids_answering(port, 1, 120, exclude=old)
        row["replace_server_s"] = time.monotonic() - killed if fresh else None
        # A query over the time limit: until every evaluation process answers again.
        started = time.monotonic()
        status = _query(port, RUNAWAY, 60)
        stopped = time.monotonic()
        ok = [_query(port, f"ASK {{ ?s ?p ?o }} # after {n}") for n in range(workers * max(1, query_processes))]
        row["runaway_status"] = status
        row["runaway_s"] = stopped - started
        row["replace_eval_s"] = time.monotonic() - stopped if all(s == 200 for s in ok) else None
        row["final"] = footprint(process.pid)
        row["load_after"] = load_average()
    finally:
        stop(process)
    return row


def fmt(value, digits=0) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def table(rows: list[dict], workers: int, query_processes: int, settings: str = "") -> str:
    out = [f"`policykg serve`, {workers} server processes, {query_processes} evaluation processes each, "
           f"settings {settings or 'default'} "
           "(PSS / RSS summed over every process of the service, MB):", "",
           "| data | quads | one in-process copy PSS / RSS | first start s (in memory s) | restart to ready s (CPU s) "
           "| ready PSS / RSS | restart to in memory s | in memory PSS / RSS | processes | PSS / one copy "
           "| after scanning queries PSS / RSS "
           f"| {IDLE:g} s idle after PSS / RSS | PSS / one copy | server replaced in s | query over limit s "
           "| evaluation replaced in s | after replacements PSS |",
           "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        one = r['one_copy'].pss_mb
        out.append(f"| {r['data']} | {fmt(r['quads'])} | {fmt(one)} / {fmt(r['one_copy'].rss_mb)} "
                   f"| {fmt(r['first_start_s'], 1)} ({fmt(r['first_memory_s'], 1)}) | {fmt(r['startup_s'], 1)} ({fmt(r['startup_cpu_s'], 1)}) "
                   f"| {fmt(r['ready'].pss_mb)} / {fmt(r['ready'].rss_mb)} | {fmt(r['memory_s'], 1)} "
                   f"| {fmt(r['in_memory'].pss_mb)} / {fmt(r['in_memory'].rss_mb)} | {r['in_memory'].processes} "
                   f"| {r['in_memory'].pss_mb / one:.2f}× | {fmt(r['after'].pss_mb)} / {fmt(r['after'].rss_mb)} "
                   f"| {fmt(r['idle'].pss_mb)} / {fmt(r['idle'].rss_mb)} | {r['idle'].pss_mb / one:.2f}× "
                   f"| {fmt(r['replace_server_s'], 2)} | {fmt(r['runaway_s'], 1)} ({r['runaway_status']}) "
                   f"| {fmt(r['replace_eval_s'], 2)} | {fmt(r['final'].pss_mb)} |")
    out += ["", "Load average (1 / 5 / 15 min) before / after: " + "; ".join(
        f"{r['data']} {r['load_before']} / {r.get('load_after', '–')}" for r in rows)]
    return "\n".join(out) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, action="append", required=True)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--query-processes", type=int, default=2)
    parser.add_argument("--env", action="append", default=[], help="NAME=VALUE for the service")
    parser.add_argument("--workdir", type=Path, default=Path("build/bench"))
    parser.add_argument("--out", type=Path, help="append the table to this file")
    parser.add_argument("--keep-cache", action="store_true",
                        help="keep the data cache's entries (the first start then reuses them too)")
    args = parser.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    extra = dict(item.split("=", 1) for item in args.env)
    rows = []
    for data in args.data:
        print(f"== {data}", file=sys.stderr, flush=True)
        rows.append(measure_file(data.resolve(), args.workers, args.query_processes, args.workdir, extra,
                                 args.keep_cache))
        print(table(rows[-1:], args.workers, args.query_processes, " ".join(args.env)), file=sys.stderr, flush=True)
    text = table(rows, args.workers, args.query_processes, " ".join(args.env))
    print(text)
    if args.out:
        with open(args.out, "a", encoding="utf-8") as fh:
            fh.write(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
