"""Benchmark: `policykg build` on generated policy texts of growing size (time and peak memory).

    python -m bench.build --mb 0.1,1,10 --out-md build/bench/build.md      (part of `make bench`)

Each size is a text from bench/policy_text.py (the bundled policy's parts repeated, renumbered),
built by `policykg build` in a child process of its own, so that the child's own resource usage
(os.wait4: wall time, CPU time, peak RSS) is the build's alone. Beside it, the floor: pyoxigraph
alone reading the N-Quads the build wrote and writing them as TriG (a child process too), which is
what streaming that many quads costs with no parsing, reasoning or sorting.
"""
from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from bench.policy_text import write_policy_text

ROOT = Path(__file__).resolve().parent.parent
FLOOR = ("import sys, pyoxigraph as ox; "
         "ox.serialize(ox.parse(path=sys.argv[1], format=ox.RdfFormat.N_QUADS), sys.argv[2], format=ox.RdfFormat.TRIG)")
RUN_CLI = "import sys; from policykg.cli import main; sys.exit(main())"


@dataclass
class Usage:
    seconds: float      # wall clock
    cpu: float          # user + system
    peak_mb: float      # peak resident set size
    status: int
    stderr: str


def run_child(argv: list[str], timeout: float, env: dict | None = None) -> Usage:
    """Run a child to its end (killed after ``timeout`` s) and return its own resource usage."""
    started = time.monotonic()
    child = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT,
                             env={**os.environ, **(env or {})})
    deadline = started + timeout
    while True:
        pid, status, usage = os.wait4(child.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() > deadline:
            child.kill()
            pid, status, usage = os.wait4(child.pid, 0)
            break
        time.sleep(0.05)
    child.returncode = os.waitstatus_to_exitcode(status)
    stderr = child.stderr.read().decode("utf-8", "replace") if child.stderr else ""
    return Usage(time.monotonic() - started, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024 / 1e6,
                 child.returncode, stderr[-2000:])


def measure_size(mb: float, workdir: Path, timeout: float) -> dict:
    source = write_policy_text(workdir / f"policy-{mb:g}mb.txt", int(mb * 1_000_000))
    out = workdir / f"policy-{mb:g}mb.nq"
    limit = {"POLICYKG_MAX_SOURCE_MB": str(max(20, int(mb) + 1))}   # it may measure past the default limit
    build = run_child([sys.executable, "-c", RUN_CLI, "build", "--source", str(source), "--out", str(out)],
                      timeout, limit)
    row = {"mb": mb, "bytes": source.stat().st_size, "build": build, "floor": None,
           "out_mb": out.stat().st_size / 1e6 if out.exists() and build.status == 0 else None}
    if build.status == 0:
        row["floor"] = run_child([sys.executable, "-c", FLOOR, str(out), str(workdir / "floor.trig")], timeout)
        (workdir / "floor.trig").unlink(missing_ok=True)
    return row


def _cell(value, digits=1) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def table(rows: list[dict]) -> str:
    load = os.getloadavg()
    lines = ["### Build: time and peak memory by size of the policy text",
             "",
             "`policykg build --source TEXT --out X.nq` on texts from bench/policy_text.py, each in a child process "
             "(wall and CPU seconds, peak RSS from os.wait4); floor: pyoxigraph alone re-writing that N-Quads output "
             f"as TriG. Machine load average at the end: {load[0]:.1f} on {os.cpu_count()} CPUs (a shared machine: "
             "wall time grows with load, CPU time much less).",
             "",
             "| text MB | output MB | build wall s | build CPU s | build peak MB | floor wall s | floor peak MB |",
             "|---|---|---|---|---|---|---|"]
    for row in rows:
        b, f = row["build"], row["floor"]
        if b.status != 0:
            why = (b.stderr.strip().splitlines() or [""])[-1].replace("|", "/")
            lines.append(f"| {row['bytes'] / 1e6:.2f} | failed ({b.status}: {why}) "
                         f"| {_cell(b.seconds)} | {_cell(b.cpu)} | {_cell(b.peak_mb, 0)} | – | – |")
            continue
        lines.append(f"| {row['bytes'] / 1e6:.2f} | {_cell(row['out_mb'])} | {_cell(b.seconds)} | {_cell(b.cpu)} "
                     f"| {_cell(b.peak_mb, 0)} | {_cell(f.seconds if f else None)} "
                     f"| {_cell(f.peak_mb if f else None, 0)} |")
    return "\n".join(lines) + "\n"


def run(sizes: list[float], workdir: Path, timeout: float = 900.0) -> str:
    workdir.mkdir(parents=True, exist_ok=True)
    rows = []
    for mb in sizes:
        print(f"  build {mb:g} MB …", file=sys.stderr, flush=True)
        rows.append(measure_size(mb, workdir, timeout))
    return table(rows)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", default="0.1,1,10", help="sizes of policy text in MB, comma-separated")
    parser.add_argument("--workdir", type=Path, default=ROOT / "build" / "bench")
    parser.add_argument("--timeout", type=float, default=900.0, help="most seconds per child")
    parser.add_argument("--out-md", type=Path, help="also write the markdown table here")
    args = parser.parse_args(argv)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    report = run([float(s) for s in args.mb.split(",") if s], args.workdir, args.timeout)
    print(report)
    if args.out_md:
        args.out_md.write_text(report, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
