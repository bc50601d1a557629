"""Benchmark: /api/ask over the whole evaluation set (tests/queries/eval/questions_*.yaml).

    python -m bench.ask --data build/policykg.trig        (also `make bench`, dataset "ask")

One `policykg serve` (bench.peers.PolicykgPeer, the benchmark's settings) over the seed graph. Every
question of the set is asked once to warm every server process (each builds its tokenizer and
sentence index on its first question: that cold time is reported apart), then ``--passes`` times
one after another over one keep-alive connection, and, side by side on the same server, the same
questions as the word search /api/queries/search?q= that answered unrouted questions before
(issue 13). Reported: median, p95, p99 and max latency in ms, and how many answers the scorer of
:mod:`policykg.queries.evaluation` counts correct (the server's answers, not an in-process run).
"""
from __future__ import annotations

import argparse
import http.client
import json
import math
import statistics
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

from bench.peers import ROOT, PolicykgPeer
from policykg.queries.evaluation import load_set, score

EVAL = ROOT / "tests" / "queries" / "eval"
SETS = ("questions_test.yaml", "questions_dev.yaml")


def _percentile(values: list[float], p: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))]


def _get(conn: http.client.HTTPConnection, path: str) -> tuple[int, bytes, float]:
    started = time.perf_counter()
    conn.request("GET", path)
    response = conn.getresponse()
    body = response.read()
    return response.status, body, (time.perf_counter() - started) * 1000


def run_ask(data: Path, workdir: Path, passes: int = 3, timeout: float = 60) -> str:
    items = [item for name in SETS for item in load_set(EVAL / name)]
    peer = PolicykgPeer(data, workdir)
    peer.start()
    try:
        conn = http.client.HTTPConnection("127.0.0.1", peer.port, timeout=timeout)
        asks = {item["id"]: "/api/ask?" + urllib.parse.urlencode({"q": item["q"], "page_size": 50}) for item in items}
        searches = {item["id"]: "/api/queries/search?" + urllib.parse.urlencode({"q": item["q"][:200]})
                    for item in items}
        cold, correct, errors = [], 0, 0
        for item in items:   # the warm-up pass: every server process builds its index once
            status, body, ms = _get(conn, asks[item["id"]])
            cold.append(ms)
            if status == 200:
                correct += score(item, json.loads(body))[0]
            else:
                errors += 1
        timings = {"ask": [], "search": []}
        for _ in range(passes):
            for item in items:
                for kind, paths in (("ask", asks), ("search", searches)):
                    status, _, ms = _get(conn, paths[item["id"]])
                    if status == 200:
                        timings[kind].append(ms)
                    elif kind == "ask":
                        errors += 1
        conn.close()
    finally:
        peer.stop()
    rows = []
    for kind, label in (("ask", "/api/ask"), ("search", "/api/queries/search (word search, before)")):
        t = timings[kind]
        rows.append(f"| {label} | {len(t)} | {statistics.median(t):.1f} | {_percentile(t, 95):.1f} | "
                    f"{_percentile(t, 99):.1f} | {max(t):.1f} |")
    return ("### /api/ask over the evaluation set\n\n"
            f"{len(items)} questions (tests/queries/eval: the frozen test part and the development part), one "
            f"warm-up pass, then {passes} passes one request at a time over one keep-alive connection, each "
            "question also sent to the word search on the same server. Goal: p99 under 50 ms.\n\n"
            "| endpoint | requests | median ms | p95 ms | p99 ms | max ms |\n|---|---|---|---|---|---|\n"
            + "\n".join(rows) + "\n\n"
            f"Warm-up pass (each server process's first questions build its tokenizer and index): median "
            f"{statistics.median(cold):.1f} ms, max {max(cold):.0f} ms. Answers the scorer counts correct on the "
            f"warm-up pass: {correct}/{len(items)}; non-200 answers: {errors}.\n")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="latency of /api/ask over the evaluation set")
    parser.add_argument("--data", type=Path, default=ROOT / "build" / "policykg.trig")
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=ROOT / "build" / "bench")
    args = parser.parse_args(argv)
    if not args.data.is_file():
        parser.error(f"{args.data}: no such file (run `make build` first)")
    args.workdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="policykg-bench-", dir=args.workdir) as tmp:
        print(run_ask(args.data.resolve(), Path(tmp), args.passes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
