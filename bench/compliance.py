"""Benchmark of the compliance checks: registers of 1,000 to 100,000 communities (~10 workers each).

    python -m bench.compliance --data build/policykg.trig --sparql 1000,10000,100000 --shacl 100,1000

For each size the registers are generated first (not timed; CSV files in the work folder), then one
child process per engine and size does what ``policykg check c.csv w.csv --out report.csv`` does:
reads, imports and checks them (the SPARQL path in chunks on ``--jobs`` forked processes) and writes
the CSV report (every row × norm) to a file, gzip-compressed and plain, each timed on its own. It reports the wall seconds of each step and, in brackets,
its CPU seconds; the CPU seconds of the whole (user + system, its own and its chunk processes'), and the peak resident memory of the process and of
the largest chunk process (ru_maxrss; fork shares the registers' pages, so their sum is an upper
bound). The machine is shared: CPU seconds are the steadier figure. pySHACL runs only where asked (it
evaluates every constraint node by node in rdflib), with a time limit.
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

from bench.peers import ROOT

BASE = "https://w3id.org/policykg/"


def _cpu() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


class PeakPss:
    """The largest sum of PSS over this process and its children (the chunk processes), sampled every
    0.2 s: fork shares the registers' pages, PSS splits them instead of counting them in each process.

    The sampler is a process of its own, reaped only after the CPU time is read: reading the
    ``smaps_rollup`` of a 1.3 GB process takes ~30 ms of kernel time, and a sampling thread's ~40% of a
    CPU counted in the check's CPU seconds (183 s measured for 100,000 communities, of which the check
    itself took much less)."""

    def __init__(self):
        import os
        self._proc = subprocess.Popen([sys.executable, "-m", "bench.compliance", "--pss-of", str(os.getpid())],
                                      cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def stop(self) -> int:
        out, _ = self._proc.communicate("stop\n", timeout=60)
        return round(float(out.strip() or 0))


def _sample_pss(pid: int) -> float:
    """In the sampler process: sample until a line comes on standard input, print the peak (MB)."""
    import os
    import select

    from bench.measure import _kb, process_tree
    peak, me = 0.0, os.getpid()
    for _ in range(36_000):   # two hours at most
        pss = sum(_kb(f"/proc/{p}/smaps_rollup", "Pss") for p in process_tree(pid) if p != me) / 1024
        peak = max(peak, pss)
        if select.select([sys.stdin], [], [], 0.2)[0]:
            break
    return peak


def one(data: Path, folder: Path, engine: str, jobs: int) -> dict:
    """In the child: check the registers of ``folder`` and write the CSV report; seconds, CPU, memory."""
    from policykg.compliance.run import check_registers, checks_from_store
    from policykg.store.backend import OxigraphStore

    start = time.perf_counter()
    checkset = checks_from_store(OxigraphStore.from_file(data, BASE))
    generate_checks = time.perf_counter() - start
    pss = PeakPss()
    start, start_cpu = time.perf_counter(), _cpu()
    communities = ((folder / "communities.csv").read_bytes(), "communities.csv")
    workers = ((folder / "workers.csv").read_bytes(), "workers.csv")
    report = check_registers(checkset, BASE, communities, workers, engine=engine, jobs=jobs)
    checked, checked_cpu = time.perf_counter(), _cpu()
    saved = {}
    # the report saved twice, each timed on its own: gzip-compressed first (not slowed by the plain
    # report's 2.9 GB of dirty pages still being written back), then plain; each file removed once measured
    for name in (f"report-{engine}.csv.gz", f"report-{engine}.csv"):
        out = folder / name
        begin, begin_cpu = time.perf_counter(), _cpu()
        report.save_csv(out)
        saved[name.rsplit(".", 1)[-1]] = (time.perf_counter() - begin, _cpu() - begin_cpu, out.stat().st_size / 2**20)
        out.unlink()
    cpu = _cpu() - start_cpu
    peak_pss = pss.stop()
    findings = report.findings()
    expected = {(e["register"], e["row"], e["norm"], e["status"])
                for e in json.loads((folder / "expected.json").read_text("utf-8")) if e["status"] in ("not_met", "unknown")}
    (csv_s, csv_cpu, csv_mb), (gz_s, gz_cpu, gz_mb) = saved["csv"], saved["gz"]
    result = {"engine": engine, "jobs": jobs, "communities": len(report.communities), "workers": len(report.workers),
              "checks": round(generate_checks, 2), **report.timings,
              "report": round(csv_s, 2), "report_cpu": round(csv_cpu, 1), "report_mb": round(csv_mb),
              "report_gz": round(gz_s, 2), "report_gz_cpu": round(gz_cpu, 1), "report_gz_mb": round(gz_mb),
              # end to end: read, check and one report, as `policykg check … --out report.csv` (or .csv.gz)
              "total": round(checked - start + csv_s, 2), "cpu": round(checked_cpu - start_cpu + csv_cpu, 1),
              "total_gz": round(checked - start + gz_s, 2), "cpu_gz": round(checked_cpu - start_cpu + gz_cpu, 1),
              "cpu_all": round(cpu, 1),
              "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
              "child_peak_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024, "peak_pss_mb": peak_pss,
              "findings": len(findings), "exact": findings == expected}
    return result


def _child(data: Path, folder: Path, engine: str, timeout: float, jobs: int) -> dict:
    cmd = [sys.executable, "-m", "bench.compliance", "--one", str(folder), "--engine", engine, "--data", str(data),
           "--jobs", str(jobs)]
    try:
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"engine": engine, "timeout": timeout}
    if proc.returncode != 0:
        return {"engine": engine, "error": proc.stderr.strip().splitlines()[-1:] or ["?"]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run(data: Path, workdir: Path, sparql: list[int], shacl: list[int], timeout: float, jobs: int = 2) -> str:
    from policykg.compliance.generator import generate

    lines = ["### Compliance checks: registers checked against the norms (`policykg check`)\n",
             "Generated Suzhou-like registers (`policykg generate-register`, seed 2011, ~10 workers per community); "
             "one child process per engine and size reads the two CSV files, imports them into fresh pyoxigraph "
             "stores and runs the checks generated from the norms, then writes the CSV report (one line per row "
             "and norm) to a file, gzip-compressed (`--out report.csv.gz`) and plain (`.csv`), each timed on its own: SPARQL on pyoxigraph (each distinct value profile of a group of checks once, one "
             f"instance each, in chunks of fresh stores on {jobs} forked processes, the communities' while the workers register is read, the outcomes given to every row) or SHACL-SPARQL shapes on pySHACL (one store, one process). *Wall* seconds per step; "
             "*CPU* is user + system seconds of the child and its chunk processes (the machine is shared: wall "
             "time depends on the other work, CPU time much less). *End to end*: reading, checking and one report, "
             "what `policykg check c.csv w.csv --out report.csv` (or `.csv.gz`) does after generating the checks. *Peak*: the child's maximum resident set, and "
             "the largest chunk process's; *PSS*: the largest sum of proportional set sizes over the child and its chunk "
             "processes, sampled every 0.2 s by a process of its own, not counted in the CPU seconds (fork shares pages: PSS counts a shared page once). *Exact*: the findings are "
             f"exactly the injected set. pySHACL is stopped after {timeout:g} s.\n",
             "| engine | communities | workers | read s (CPU) | import+check s (CPU) | report .csv s (CPU; MB) | report .csv.gz s (CPU; MB) "
             "| end to end .csv s (CPU) | end to end .csv.gz s (CPU) | peak MB (chunk) | PSS MB | findings | exact |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for size in sorted(set(sparql) | set(shacl)):
        folder = workdir / f"registers-{size}"
        if not (folder / "expected.json").is_file():
            generate(size).write(folder)
        for engine, sizes in (("sparql", sparql), ("shacl", shacl)):
            if size not in sizes:
                continue
            r = _child(data, folder, engine, timeout if engine == "shacl" else max(timeout, 1800),
                       jobs if engine == "sparql" else 1)
            print(json.dumps(r, ensure_ascii=False), file=sys.stderr, flush=True)
            if "timeout" in r or "error" in r:
                why = f"not finished in {r['timeout']:g} s" if "timeout" in r else f"failed: {r['error'][0]}"
                lines.append(f"| {engine} | {size:,} | | | | | | {why} | | | | | |")
                continue
            check = r.get("import+check", r.get("import", 0) + r.get("check", 0))
            check_cpu = r.get("import+check_cpu", r.get("import_cpu", 0) + r.get("check_cpu", 0))
            lines.append(f"| {engine} | {r['communities']:,} | {r['workers']:,} | {r['read']:.1f} ({r['read_cpu']:.1f}) | "
                         f"{check:.1f} ({check_cpu:.1f}) | {r['report']:.1f} ({r['report_cpu']:.1f}; {r['report_mb']:,}) | "
                         f"{r['report_gz']:.1f} ({r['report_gz_cpu']:.1f}; {r['report_gz_mb']:,}) | {r['total']:.1f} ({r['cpu']:.1f}) | "
                         f"{r['total_gz']:.1f} ({r['cpu_gz']:.1f}) | {r['peak_mb']:,} ({r['child_peak_mb']:,}) | {r['peak_pss_mb']:,} | "
                         f"{r['findings']} | {'yes' if r['exact'] else 'NO'} |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="compliance checks benchmark")
    parser.add_argument("--data", type=Path, default=ROOT / "build" / "policykg.trig")
    parser.add_argument("--sparql", default="1000,10000,100000", help="sizes (communities) for the SPARQL path")
    parser.add_argument("--shacl", default="1000", help="sizes (communities) for pySHACL (1000: ~15 min; 10000 takes hours)")
    parser.add_argument("--jobs", type=int, default=2, help="processes of the SPARQL path (policykg check --jobs)")
    parser.add_argument("--shacl-timeout", type=float, default=900.0, help="seconds before pySHACL is stopped")
    parser.add_argument("--workdir", type=Path, default=ROOT / "build" / "bench")
    parser.add_argument("--one", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--pss-of", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--engine", default="sparql", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.pss_of:
        print(_sample_pss(args.pss_of))
        return 0
    if args.one:
        print(json.dumps(one(args.data, args.one, args.engine, args.jobs)))
        return 0
    sizes = [int(s) for s in args.sparql.split(",") if s]
    shacl = [int(s) for s in args.shacl.split(",") if s]
    args.workdir.mkdir(parents=True, exist_ok=True)
    print(run(args.data, args.workdir, sizes, shacl, args.shacl_timeout, args.jobs))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
