"""``policykg check``, ``policykg generate-register`` and ``policykg register-template``.

    policykg register-template --out build/template.xlsx           # or .csv --register workers
    policykg generate-register --communities 1000 --seed 7 --out build/registers
    policykg check communities.xlsx workers.csv --out report.xlsx   # .csv, .csv.gz, .json, .ttl/.nt (SHACL results)
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

from policykg.errors import UserError

REPORT_SUFFIXES = (".xlsx", ".csv", ".csv.gz", ".json", ".nt", ".ttl")


def report_format(out: Path) -> str | None:
    """The report format an output name asks for (its extension, .csv.gz for a gzip-compressed CSV report)."""
    name = out.name.lower()
    return next((s for s in sorted(REPORT_SUFFIXES, key=len, reverse=True) if name.endswith(s)), None)


def _checks(args):
    from policykg.compliance.run import checks_from_store
    from policykg.settings import load_config
    from policykg.store.backend import open_store
    from policykg.store.errors import StoreError

    config = load_config({"base": getattr(args, "base", None), "data": getattr(args, "data", None) or None})
    try:
        store = open_store(config)
    except StoreError as exc:
        raise UserError(str(exc)) from None
    return checks_from_store(store), config.base


def _write(path: Path, data: bytes) -> None:
    """Whole files only: a temporary file beside the target, then a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


def _write_with(path: Path, write, text: bool) -> None:
    """``write(file)`` into a temporary file beside the target, then a rename (a large report is
    written as it is made, never held whole in memory)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with (open(tmp, "w", encoding="utf-8", newline="") if text else open(tmp, "wb")) as f:
            write(f)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


def _progress(quiet: bool):
    start = time.perf_counter()

    def say(message: str) -> None:
        if not quiet:
            print(f"[{time.perf_counter() - start:6.1f}s] {message}", file=sys.stderr, flush=True)
    return say


def cmd_check(args) -> int:
    import json

    from policykg.compliance.registers import RegisterError
    from policykg.compliance.run import check_registers

    out = Path(args.out)
    suffix = report_format(out)
    if suffix is None:
        raise UserError(f"{out}: the report's format follows its extension: {', '.join(REPORT_SUFFIXES)}")
    files = [Path(args.communities)] + ([Path(args.workers)] if args.workers else [])
    for f in files:
        if not f.is_file():
            raise UserError(f"{f}: no such file")
    if args.jobs is None:
        from policykg.compliance.run import default_jobs
        args.jobs = default_jobs()
    if args.jobs < 1:
        raise UserError("--jobs must be at least 1")
    say = _progress(args.quiet)
    say("生成核对规则 generating the checks from the norms …")
    checkset, base = _checks(args)
    try:
        report = check_registers(checkset, base, (files[0].read_bytes(), files[0].name),
                                 (files[1].read_bytes(), files[1].name) if len(files) > 1 else None,
                                 progress=say, engine=args.engine, jobs=args.jobs)
    except RegisterError as exc:
        for error in exc.errors:
            print(f"policykg check: {error}", file=sys.stderr)
        if exc.truncated:
            print("policykg check: … (stopped after the first errors)", file=sys.stderr)
        print(f"policykg check: error: register refused ({len(exc.errors)} problem(s)); nothing imported", file=sys.stderr)
        return 2
    say(f"写出 writing {out} …")
    if suffix == ".xlsx":
        _write_with(out, report.write_xlsx, text=False)
    elif suffix in (".csv", ".csv.gz"):   # .csv.gz: the same bytes gzip-compressed (save_csv)
        report.save_csv(out)
    elif suffix == ".json":
        _write_with(out, lambda f: json.dump(report.as_json(), f, ensure_ascii=False, indent=1), text=True)
    else:
        _write_with(out, lambda f: f.writelines(f"{line}\n" for line in report.validation_ntriples()), text=True)
    findings = report.findings()
    not_met = sum(1 for f in findings if f[3] == "not_met")
    print(f"checked {len(report.communities)} communities, {len(report.workers)} workers against "
          f"{len(checkset.checks)} norms: {not_met} 未达标 not met, {len(findings) - not_met} 数据缺失 unknown → {out}")
    return 0


def cmd_generate(args) -> int:
    from policykg.compliance.generator import generate

    if args.communities < 1:
        raise UserError("--communities must be at least 1")
    registers = generate(args.communities, seed=args.seed, year=args.year)
    written = registers.write(Path(args.out), xlsx=args.xlsx)
    print(f"generated {len(registers.communities)} communities, {len(registers.workers)} workers, "
          f"{len(registers.expected)} expected outcomes → {', '.join(map(str, written))}")
    return 0


def cmd_template(args) -> int:
    from policykg.compliance.columns import template_csv, template_xlsx

    out = Path(args.out)
    if out.suffix.lower() == ".csv":
        data = template_csv(args.register)
    elif out.suffix.lower() == ".xlsx":
        checkset, _ = _checks(args)
        data = template_xlsx(checkset.feeds())
    else:
        raise UserError(f"{out}: a template is .csv or .xlsx")
    _write(out, data)
    print(f"wrote {out}")
    return 0


def register(subparsers) -> None:
    data_help = "a built dataset (.trig/.nq); default: POLICYKG_DATA or build the bundled policy"
    c = subparsers.add_parser("check", help="check community and worker registers against the policy's norms",
                              description="Check registers (CSV or XLSX) against every checkable norm; write a cited report.")
    c.add_argument("communities", help="the communities register (.csv or .xlsx)")
    c.add_argument("workers", nargs="?", help="the community workers register (.csv or .xlsx)")
    c.add_argument("--out", "-o", required=True, help="the report: .xlsx, .csv, .csv.gz (the CSV gzip-compressed), .json, or .nt/.ttl (SHACL validation results)")
    c.add_argument("--engine", choices=("sparql", "shacl"), default="sparql",
                   help="sparql: pyoxigraph (any size); shacl: pySHACL (small registers)")
    c.add_argument("--jobs", "-j", type=int, default=None,
                   help="processes checking chunks of rows in parallel (default: the CPUs available)")
    c.add_argument("--quiet", "-q", action="store_true", help="no progress on standard error")
    c.add_argument("--data", help=data_help)
    c.set_defaults(func=cmd_check)

    g = subparsers.add_parser("generate-register", help="generate synthetic Suzhou-like registers with known findings")
    g.add_argument("--communities", type=int, required=True, help="how many communities (~10 workers each)")
    g.add_argument("--seed", type=int, default=2011, help="random seed (same seed, same files)")
    g.add_argument("--year", type=int, default=2015, help="the registers' year (年度)")
    g.add_argument("--out", "-o", default="build/registers", help="folder for communities, workers and expected.json")
    g.add_argument("--xlsx", action="store_true", help="write .xlsx instead of .csv")
    g.set_defaults(func=cmd_generate)

    t = subparsers.add_parser("register-template", help="write an empty register template (.xlsx or .csv)")
    t.add_argument("--out", "-o", required=True, help=".xlsx (both registers and the column notes) or .csv (one register)")
    t.add_argument("--register", choices=("communities", "workers"), default="communities", help="for .csv: which register")
    t.add_argument("--data", help=data_help)
    t.set_defaults(func=cmd_template)
