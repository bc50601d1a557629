"""Benchmark of the compliance checks: registers of 1,000 to 100,000 communities (~10 workers each).

    python -m bench.compliance --data build/policykg.trig --sparql 1000,10000 --shacl 1000

For each size the registers are generated first (not timed; CSV files in the work folder), then one
child process per engine and size reads, imports and checks them, as ``policykg check`` does, and
reports the seconds of each step and its peak memory (ru_maxrss of the child: the data, the store,
the results). pySHACL runs only where asked (it evaluates every constraint node by node in rdflib),
with a time limit; a size it does not finish in time is reported as such.
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


def one(data: Path, folder: Path, engine: str) -> dict:
    """In the child: check the registers of ``folder``; seconds per step and peak memory."""
    from policykg.compliance.run import check_registers, checks_from_store
    from policykg.store.backend import OxigraphStore

    start = time.perf_counter()
    checkset = checks_from_store(OxigraphStore.from_file(data, BASE))
    generate_checks = time.perf_counter() - start
    communities = ((folder / "communities.csv").read_bytes(), "communities.csv")
    workers = ((folder / "workers.csv").read_bytes(), "workers.csv")
    start = time.perf_counter()
    report = check_registers(checkset, BASE, communities, workers, engine=engine)
    total = time.perf_counter() - start
    findings = report.findings()
    expected = {(e["register"], e["row"], e["norm"], e["status"])
                for e in json.loads((folder / "expected.json").read_text("utf-8")) if e["status"] in ("not_met", "unknown")}
    return {"engine": engine, "communities": len(report.communities), "workers": len(report.workers),
            "checks": round(generate_checks, 2), **report.timings, "total": round(total, 2),
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
            "findings": len(findings), "exact": findings == expected}


def _child(data: Path, folder: Path, engine: str, timeout: float) -> dict:
    cmd = [sys.executable, "-m", "bench.compliance", "--one", str(folder), "--engine", engine, "--data", str(data)]
    try:
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"engine": engine, "timeout": timeout}
    if proc.returncode != 0:
        return {"engine": engine, "error": proc.stderr.strip().splitlines()[-1:] or ["?"]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run(data: Path, workdir: Path, sparql: list[int], shacl: list[int], timeout: float) -> str:
    from policykg.compliance.generator import generate

    lines = ["### Compliance checks: registers checked against the norms (`policykg check`)\n",
             "Generated Suzhou-like registers (`policykg generate-register`, seed 2011, ~10 workers per community); "
             "one child process per engine and size reads the two CSV files, imports them into a fresh pyoxigraph "
             "store (one named graph per register) and runs the checks generated from the norms: SPARQL on "
             "pyoxigraph (one SELECT per register) or SHACL-SPARQL shapes on pySHACL. Seconds per step; peak "
             "memory is the child's maximum resident set. *Exact*: the findings are exactly the injected set. "
             f"pySHACL is stopped after {timeout:g} s.\n",
             "| engine | communities | workers | read s | import s | check s | total s | peak MB | findings | exact |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for size in sorted(set(sparql) | set(shacl)):
        folder = workdir / f"registers-{size}"
        if not (folder / "expected.json").is_file():
            generate(size).write(folder)
        for engine, sizes in (("sparql", sparql), ("shacl", shacl)):
            if size not in sizes:
                continue
            r = _child(data, folder, engine, timeout if engine == "shacl" else max(timeout, 1800))
            print(json.dumps(r, ensure_ascii=False), file=sys.stderr, flush=True)
            if "timeout" in r or "error" in r:
                why = f"not finished in {r['timeout']:g} s" if "timeout" in r else f"failed: {r['error'][0]}"
                lines.append(f"| {engine} | {size:,} | | | | | {why} | | | |")
                continue
            lines.append(f"| {engine} | {r['communities']:,} | {r['workers']:,} | {r['read']:.1f} | {r['import']:.1f} | "
                         f"{r['check']:.1f} | {r['total']:.1f} | {r['peak_mb']:,} | {r['findings']} | "
                         f"{'yes' if r['exact'] else 'NO'} |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="compliance checks benchmark")
    parser.add_argument("--data", type=Path, default=ROOT / "build" / "policykg.trig")
    parser.add_argument("--sparql", default="1000,10000", help="sizes (communities) for the SPARQL path (100000 needs ~10 GB)")
    parser.add_argument("--shacl", default="1000", help="sizes (communities) for pySHACL (10000 takes hours)")
    parser.add_argument("--shacl-timeout", type=float, default=900.0, help="seconds before pySHACL is stopped")
    parser.add_argument("--workdir", type=Path, default=ROOT / "build" / "bench")
    parser.add_argument("--one", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--engine", default="sparql", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(one(args.data, args.one, args.engine)))
        return 0
    sizes = [int(s) for s in args.sparql.split(",") if s]
    shacl = [int(s) for s in args.shacl.split(",") if s]
    args.workdir.mkdir(parents=True, exist_ok=True)
    print(run(args.data, args.workdir, sizes, shacl, args.shacl_timeout))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
