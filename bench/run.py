"""Benchmark: policykg's SPARQL service against Oxigraph's server and an rdflib endpoint.

    python -m bench.run --data build/policykg.trig            (make bench)

For each dataset (the seed graph, then a generated city of about a million triples),
every peer is started on a free loopback port over the same data:

    policykg          `policykg serve --data …` (granian + Flask server processes, pyoxigraph in memory,
                      each query in an evaluation process)
    policykg-threads  the same evaluating on threads of the server processes (query_processes=0):
                      the cost of the evaluation processes
    oxigraph          Oxigraph's own server on its RocksDB store (`oxigraph load` +
                      `oxigraph serve-read-only --union-default-graph`), its usual deployment
    oxigraph-mem      Oxigraph's server with its in-memory store (data POSTed to /store)
    rdflib            a thin Flask/waitress endpoint over rdflib's Dataset (bench/rdflib_endpoint.py)

The same queries (lookup, join, aggregate, property-path chain, CONSTRUCT) are sent by
GET with keep-alive connections at concurrency 1 and 8, each for a bounded number of
requests and seconds. Before measuring, each peer's answer is compared with policykg's
(as a set of rows or triples). The table gives median and p99 latency (ms) and
requests per second, with the ratio of each peer's throughput to Oxigraph's.
"""
from __future__ import annotations

import argparse
import contextlib
import math
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.generate import BENCH, build_city, communities_for
from bench.measure import Measurement, geomean, measure, memory, normalise, same
from bench.peers import NTRIPLES, PEERS, RESULTS_JSON, ROOT, FloorPeer, request
from policykg import iris
from policykg.ontology.namespaces import sparql_prologue
from policykg.settings import DEFAULT_BASE


PREFIXES = (sparql_prologue(["rdf", "rdfs", "eli", "org", "pkg"])
            + f"PREFIX bench: <{BENCH}>\nPREFIX id: <{iris.thing_iri(DEFAULT_BASE, 'agent', '')}>\n")

ART5 = iris.unit_iri(DEFAULT_BASE, "suzhou-2011-community-party-building", "art/5")

SEED_QUERIES = {
    "lookup": f"SELECT ?p ?o WHERE {{ <{ART5}> ?p ?o }}",
    "join": "SELECT DISTINCT ?unit ?ordinal ?heading WHERE { ?unit eli:is_part_of ?parent ; pkg:ordinal ?ordinal . "
            "?parent pkg:heading ?heading }",
    "aggregate": "SELECT ?class (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?class } GROUP BY ?class",
    "path": "SELECT DISTINCT ?x WHERE { pkg:DistrictPartySecretary pkg:responsibilityFlowsTo+ ?x }",
    "path-subclass": "SELECT DISTINCT ?c ?super WHERE { ?c rdfs:subClassOf+ ?super }",
    "construct": "CONSTRUCT { ?u rdfs:label ?l ; pkg:text ?t } WHERE { ?u a eli:LegalResourceSubdivision ; "
                 "rdfs:label ?l ; pkg:text ?t }",
}

CITY_QUERIES = {
    "lookup": "SELECT ?p ?o WHERE { id:bench-community-3-4-5-party-organization ?p ?o }",
    "join": "SELECT ?m ?name ?born WHERE { ?m a pkg:RetiredPartyMember ; org:memberOf ?b ; rdfs:label ?name ; "
            "bench:birthYear ?born . ?b org:subOrganizationOf ?po . "
            "?po org:subOrganizationOf id:bench-subdistrict-3-4-party-working-committee }",
    "aggregate": "SELECT ?wc (COUNT(?m) AS ?members) (MIN(?born) AS ?oldest) WHERE { ?m org:memberOf ?b ; "
                 "bench:birthYear ?born . ?b org:subOrganizationOf ?po . ?po org:subOrganizationOf ?wc . "
                 "?wc org:subOrganizationOf id:bench-district-3-party-committee } GROUP BY ?wc",
    "path": "SELECT ?unit WHERE { ?unit org:subOrganizationOf+ id:bench-district-3-party-committee }",
    "construct": "CONSTRUCT { ?po pkg:leadsAndGuides ?rc ; rdfs:label ?l } WHERE { ?po pkg:leadsAndGuides ?rc ; "
                 "rdfs:label ?l ; org:subOrganizationOf ?wc . "
                 "?wc org:subOrganizationOf id:bench-district-3-party-committee }",
}

MODES = {
    "distinct": "every request a different text (no answer cache can help: evaluation measured)",
    "repeated": "the identical request repeated (policykg answers from its result cache after the first)",
}



# ---------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------

def machine() -> str:
    cpu = platform.processor() or ""
    with contextlib.suppress(OSError), open("/proc/cpuinfo", encoding="utf-8") as info:
        for line in info:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    try:
        import pyoxigraph

        oxv = pyoxigraph.__version__
    except Exception:  # noqa: BLE001
        oxv = "?"
    return (f"{os.cpu_count()} CPUs ({cpu}), Python {platform.python_version()}, pyoxigraph {oxv}, "
            f"{platform.system()}; {when_and_what()}")


def when_and_what() -> str:
    """When the run started, at which commit and on how busy a machine: the tables of a shared machine
    are only comparable with these."""
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    commit = "?"
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                                timeout=10, cwd=Path(__file__).resolve().parent).stdout.strip() or "?"
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return f"run {started} at commit {commit}, load average {load}"


def fmt(value: float, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:.{digits}f}"


def memory_table(rows: dict) -> str:
    lines = ["| peer | ready in s | memory when ready, MB (PSS) | memory after the run, MB (PSS) | peak, MB (sum of peak RSS) |",
             "|---|---|---|---|---|"]
    for name, (ready, loaded, after) in rows.items():
        lines.append(f"| {name} | {fmt(ready, 1)} | {fmt(loaded.pss_mb, 0)} | "
                     f"{fmt(after.pss_mb, 0) if after else '–'} | {fmt(after.peak_rss_mb, 0) if after else '–'} |")
    return "\n".join(lines) + "\n"


def table(title: str, peers: list[str], queries: list[str], results: dict, checks: dict, concurrencies) -> str:
    lines = [f"### {title}", ""]
    header = ["query", "c"]
    for p in peers:
        header += [f"{p} median ms", f"{p} p99 ms", f"{p} req/s"]
    for p in peers:
        if p != "oxigraph":
            header.append(f"{p}/oxigraph")
    lines.append("| " + " | ".join(header) + " |")
    lines.append("|" + "---|" * len(header))
    for q in queries:
        for c in concurrencies:
            row = [q + ("" if all(checks.get((p, q), True) for p in peers) else " (≠)"), str(c)]
            for p in peers:
                m = results.get((p, q, c))
                if m is None:
                    row += ["–", "–", "–"]
                elif m.timed_out and not m.latencies:
                    row += ["timeout", "", ""]
                else:
                    row += [fmt(m.median, 2), fmt(m.percentile(99), 2), fmt(m.rps, 0)]
            base = results.get(("oxigraph", q, c))
            for p in peers:
                if p == "oxigraph":
                    continue
                m = results.get((p, q, c))
                ratio = m.rps / base.rps if (m and base and base.rps and m.latencies) else math.nan
                row.append(fmt(ratio, 2) + ("×" if not math.isnan(ratio) else ""))
            lines.append("| " + " | ".join(row) + " |")
    lines.append("")
    geo = ["| geometric mean req/s | c | " + " | ".join(peers) + " | " +
           " | ".join(f"{p}/oxigraph" for p in peers if p != "oxigraph") + " |",
           "|---|---|" + "---|" * (2 * len(peers) - 1)]
    for c in concurrencies:
        means = {p: geomean(results[(p, q, c)].rps for q in queries if (p, q, c) in results) for p in peers}
        ratios = [fmt(means[p] / means["oxigraph"], 2) + "×" if means.get("oxigraph") else "–"
                  for p in peers if p != "oxigraph"]
        geo.append(f"| all queries | {c} | " + " | ".join(fmt(means[p], 0) for p in peers) + " | "
                   + " | ".join(ratios) + " |")
    lines += geo
    lines.append("")
    return "\n".join(lines)


def run_dataset(label: str, data: Path, queries: dict, peers: list[str], workdir: Path, args) -> str:
    print(f"\n== {label}: {data} ==", file=sys.stderr, flush=True)
    results: dict = {}
    checks: dict = {}
    reference: dict = {}
    accepts = {q: (NTRIPLES if text.lstrip().upper().startswith("CONSTRUCT") else RESULTS_JSON)
               for q, text in queries.items()}
    full = {q: PREFIXES + text for q, text in queries.items()}
    notes = []
    memories: dict[str, list] = {}
    for name in peers:
        peer = PEERS[name](data, workdir)
        try:
            took = peer.start()
        except (RuntimeError, subprocess.SubprocessError, OSError) as exc:
            print(f"  {name}: could not start: {exc}", file=sys.stderr, flush=True)
            notes.append(f"{name} could not start: {exc}")
            continue
        print(f"  {name}: ready in {took:.1f} s", file=sys.stderr, flush=True)
        memories[name] = [took, memory(peer.process.pid), None]
        try:
            for q in queries:
                try:
                    status, body = request(peer, full[q], accepts[q], timeout=args.request_timeout)
                except (socket.timeout, TimeoutError):
                    print(f"  {name} {q}: timeout after {args.request_timeout:.0f} s", file=sys.stderr, flush=True)
                    for mode in args.modes:
                        results[(mode, name, q, args.concurrency[0])] = Measurement(timed_out=True)
                    notes.append(f"{name} {q}: no answer within {args.request_timeout:.0f} s")
                    peer.stop()
                    peer.start()
                    continue
                if status != 200:
                    notes.append(f"{name} {q}: HTTP {status}: {body[:200]!r}")
                    checks[(name, q)] = False
                    continue
                answer = normalise(body, accepts[q])
                if name == peers[0]:
                    reference[q] = answer
                    checks[(name, q)] = True
                elif q in reference:
                    checks[(name, q)] = same(answer, reference[q])
                    if not checks[(name, q)]:
                        notes.append(f"{name} {q}: results differ from {peers[0]} "
                                     f"({answer[2] if len(answer) > 2 else answer[1]} vs "
                                     f"{reference[q][2] if len(reference[q]) > 2 else reference[q][1]})")
                for mode, c in [(mode, c) for mode in args.modes for c in args.concurrency]:
                    m = measure(peer, full[q], accepts[q], c, args.requests, args.seconds, args.request_timeout,
                                distinct=(mode == "distinct"))
                    results[(mode, name, q, c)] = m
                    print(f"  {mode:8s} {name:12s} {q:14s} c={c}: median {fmt(m.median, 2)} ms, p99 "
                          f"{fmt(m.percentile(99), 2)} ms, {fmt(m.rps, 0)} req/s ({len(m.latencies)} ok, "
                          f"{m.errors} errors{', timeout' if m.timed_out else ''})", file=sys.stderr, flush=True)
                    if m.timed_out:
                        peer.stop()
                        peer.start()
                        break
        finally:
            if peer.process is not None and peer.process.poll() is None:
                memories[name][2] = memory(peer.process.pid)
            peer.stop()
    sizes = sum(1 for _ in open(data, "rb")) if data.suffix == ".nq" else None
    out = ""
    for mode in args.modes:
        title = f"{label} ({data.name}{f', {sizes:,} quads' if sizes else ''}), {MODES[mode]}"
        mode_results = {k[1:]: v for k, v in results.items() if k[0] == mode}
        out += table(title, [p for p in peers if any(k[0] == p for k in mode_results)], list(queries),
                     mode_results, checks, args.concurrency) + "\n"
    verdict = []
    for q in queries:
        ok = [p for p in peers if checks.get((p, q))]
        verdict.append(f"{q}: {'same results from ' + ', '.join(ok) if ok else 'not compared'}")
    out += "\nResults check: " + "; ".join(verdict) + ".\n"
    out += "\nStart-up and memory (every process of a peer summed; policykg runs a supervisor and its server processes, " \
           "each with the data in memory):\n\n" + memory_table(memories)
    if notes:
        out += "\nNotes:\n" + "\n".join(f"- {n}" for n in notes) + "\n"
    return out


FLOOR_QUERY = "ASK { }"
FLOOR_PEERS = ("http-floor", "policykg", "policykg-threads", "oxigraph-mem", "oxigraph")


def run_floor(data: Path, workdir: Path, args) -> str:
    """The cost of HTTP itself: the floor answers without any work, the SPARQL servers answer
    ``ASK { }`` (no data touched), with the same client, concurrencies and limits."""
    print("\n== HTTP floor ==", file=sys.stderr, flush=True)
    rows = []
    for name in FLOOR_PEERS:
        peer = (FloorPeer if name == "http-floor" else PEERS[name])(data, workdir)
        try:
            peer.start()
        except (RuntimeError, subprocess.SubprocessError, OSError) as exc:
            rows.append(f"| {name} | could not start: {exc} |")
            continue
        try:
            cells = []
            for c in args.concurrency:
                m = measure(peer, FLOOR_QUERY, RESULTS_JSON, c, args.requests, args.seconds, args.request_timeout,
                            distinct=True)
                cells += [fmt(m.median, 2), fmt(m.percentile(99), 2), fmt(m.rps, 0)]
                print(f"  floor {name:12s} c={c}: median {fmt(m.median, 2)} ms, {fmt(m.rps, 0)} req/s",
                      file=sys.stderr, flush=True)
            rows.append(f"| {name} | " + " | ".join(cells) + " |")
        finally:
            peer.stop()
    head = " | ".join(f"c={c} median ms | c={c} p99 ms | c={c} req/s" for c in args.concurrency)
    return ("### HTTP floor: what answering costs before any query work\n\n"
            "http-floor is granian with policykg's settings (processes, threads, HTTP/1) answering every request "
            "with a constant result from a WSGI function that does nothing else (bench/floor_app.py); the others "
            f"answer `{FLOOR_QUERY}`, which touches no data.\n\n"
            f"| server | {head} |\n|---|" + "---|" * (3 * len(args.concurrency)) + "\n" + "\n".join(rows) + "\n")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="policykg SPARQL benchmark")
    parser.add_argument("--data", type=Path, default=ROOT / "build" / "policykg.trig", help="the seed dataset")
    parser.add_argument("--peers", default="policykg,policykg-threads,oxigraph,oxigraph-mem,rdflib")
    parser.add_argument("--datasets", default="seed,floor,ask,city,compliance,build",
                        help="any of seed, floor (the HTTP floor), ask (/api/ask over the evaluation set), city, compliance (registers checked "
                             "against the norms, bench/compliance.py), build (policykg build by size of text, bench/build.py); "
                             "comma-separated")
    parser.add_argument("--build-mb", default="0.1,1,10", help="sizes of policy text the build benchmark builds, in MB")
    parser.add_argument("--compliance-sparql", default="1000,10000,100000",
                        help="register sizes (communities) checked on the SPARQL path (chunks on 2 processes)")
    parser.add_argument("--compliance-shacl", default="1000", help="register sizes checked with pySHACL (10000 takes hours)")
    parser.add_argument("--concurrency", default="1,8")
    parser.add_argument("--modes", default="distinct,repeated", help="distinct, repeated or both")
    parser.add_argument("--requests", type=int, default=3000, help="most requests per query and concurrency")
    parser.add_argument("--seconds", type=float, default=8.0, help="most seconds per query and concurrency")
    parser.add_argument("--request-timeout", type=float, default=60.0)
    parser.add_argument("--city-triples", type=int, default=None,
                        help="about how many quads the generated city has (default: about a million)")
    parser.add_argument("--workdir", type=Path, default=ROOT / "build" / "bench")
    parser.add_argument("--out", type=Path, help="also write the markdown report here")
    args = parser.parse_args(argv)
    args.concurrency = [int(c) for c in args.concurrency.split(",")]
    args.modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    if set(args.modes) - set(MODES):
        parser.error(f"--modes: choose from {', '.join(MODES)}")
    peers = [p.strip() for p in args.peers.split(",") if p.strip()]
    unknown = set(peers) - set(PEERS)
    if unknown:
        parser.error(f"unknown peers: {', '.join(sorted(unknown))}")
    if peers[0] != "policykg" or "oxigraph" not in peers:
        parser.error("--peers must start with policykg and include oxigraph")
    if not args.data.is_file():
        parser.error(f"{args.data}: no such file (run `make build` first)")
    args.workdir.mkdir(parents=True, exist_ok=True)
    report = [f"## SPARQL benchmark\n\nMachine: {machine()}.\n",
              f"Each cell: up to {args.requests} requests or {args.seconds:g} s per query and concurrency, "
              "GET with keep-alive from one Python client process on the same machine.\n"]
    datasets = [d.strip() for d in args.datasets.split(",")]

    def _terminate(signum, frame):  # stop the peers (finally blocks) on SIGTERM too
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _terminate)
    notes = design_notes(args.out)
    if args.out:
        args.out.write_text(report[0] + "\n" + report[1] + "\n", encoding="utf-8")
    with tempfile.TemporaryDirectory(prefix="policykg-bench-", dir=args.workdir) as tmp:
        tmp = Path(tmp)
        if "seed" in datasets:
            report.append(run_dataset("Seed graph", args.data.resolve(), SEED_QUERIES, peers, tmp, args))
            _flush(report[-1], args)
        if "floor" in datasets:
            report.append(run_floor(args.data.resolve(), tmp, args))
            _flush(report[-1], args)
        if "ask" in datasets:
            from bench.ask import run_ask

            report.append(run_ask(args.data.resolve(), tmp))
            _flush(report[-1], args)
        if "city" in datasets:
            size = communities_for(args.city_triples) if args.city_triples else None
            city = build_city(args.data.resolve(), args.workdir / (f"city-{args.city_triples}.nq" if size else "city.nq"),
                              size)
            (tmp / "oxigraph-store").exists() and shutil.rmtree(tmp / "oxigraph-store")
            report.append(run_dataset("Generated city", city.resolve(), CITY_QUERIES, peers, tmp, args))
            _flush(report[-1], args)
        if "compliance" in datasets:
            from bench import compliance
            report.append(compliance.run(args.data.resolve(), args.workdir,
                                         [int(n) for n in args.compliance_sparql.split(",") if n],
                                         [int(n) for n in args.compliance_shacl.split(",") if n], timeout=900.0))
            _flush(report[-1], args)
        if "build" in datasets:
            from bench import build as build_bench

            report.append(build_bench.run([float(n) for n in args.build_mb.split(",") if n], args.workdir))
            _flush(report[-1], args)
    if args.out and notes:
        with open(args.out, "a", encoding="utf-8") as out:
            out.write("\n" + notes)
    print("\n".join(report))
    return 0


NOTES_HEADING = "## Measurements behind the design"


def design_notes(path: Path | None) -> str:
    """The hand-written section of ``path`` (from NOTES_HEADING on), which a run keeps."""
    if path is None or not path.is_file():
        return ""
    text = path.read_text(encoding="utf-8")
    start = text.find(NOTES_HEADING)
    return text[start:] if start != -1 else ""


def _flush(section: str, args) -> None:
    """Append a finished section to --out at once (a long run keeps what it measured)."""
    print(section, file=sys.stderr, flush=True)
    if args.out:
        with open(args.out, "a", encoding="utf-8") as fh:
            fh.write(section + "\n")


if __name__ == "__main__":
    raise SystemExit(main())
