"""The loader's subcommands: ``policykg build`` and ``policykg clauses``."""
from __future__ import annotations

import contextlib
import json
import os
import resource
import signal
import sys
import threading
import unicodedata
from pathlib import Path

from rdflib import Dataset, Graph

from policykg import iris, memory
from policykg.errors import UserError
from policykg.loader.dataset import BUNDLED_SOURCE, build, triple_counts, write_graphs
from policykg.loader.parser import parse_document
from policykg.loader.text import SourceError
from policykg.ontology import validate_shapes
from policykg.ontology.reasoner import ReasonerUnavailable, check_ontology
from policykg.settings import load_config

DEFAULT_OUT = Path("build/policykg.trig")
CLAUSE_FIELDS = ("iri", "path", "kind", "number", "ordinal", "heading", "text", "start", "end", "parent")


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "build", help="build the knowledge graph (one RDF dataset with named graphs) from policy texts",
        description="Parse the policy sources and write one RDF dataset; the format follows the "
                    "extension of --out (.trig, .nq, .ttl = union of the graphs, .jsonld). "
                    "The same input always gives byte-identical output.")
    p.add_argument("--source", action="append", type=Path, metavar="FILE",
                   help="a policy text (UTF-8 or GB18030); repeatable; default: the bundled policy")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, metavar="FILE",
                   help=f"output file (default: {DEFAULT_OUT})")
    p.set_defaults(func=run_build)

    p = subparsers.add_parser(
        "validate", help="check the knowledge graph: SHACL shapes, and optionally OWL consistency (HermiT)",
        description="Build the dataset from the sources (or read --data) and validate its document, "
                    "statements and background graphs against the ontology's SHACL shapes; with "
                    "--reasoner also check the ontology plus the data for OWL consistency with HermiT "
                    "(needs Java). Exit status 1 when a check fails.")
    p.add_argument("--source", action="append", type=Path, metavar="FILE",
                   help="a policy text; repeatable; default: the bundled policy")
    p.add_argument("--data", type=Path, metavar="FILE", help="validate a built dataset (.trig or .nq) instead")
    p.add_argument("--reasoner", action="store_true", help="also run HermiT (slower; needs Java)")
    p.set_defaults(func=run_validate)

    p = subparsers.add_parser(
        "clauses", help="list the units (parts, articles, items …) of a policy text",
        description="Parse one policy text and list its units with IRI, kind, number, heading, "
                    "text and code-point offsets into the normalized text.")
    p.add_argument("--source", type=Path, metavar="FILE", help="a policy text; default: the bundled policy")
    p.add_argument("--format", choices=("json", "table"), default="json", help="output format (default: json)")
    p.set_defaults(func=run_clauses)


def _config(args):
    try:
        return load_config({"base": getattr(args, "base", None)})
    except ValueError as exc:
        raise UserError(str(exc)) from None


def _base(args) -> str:
    return _config(args).base


def _max_source_bytes(args) -> int:
    return _config(args).max_source_mb * 1_000_000


# What a build holds per MB of policy text, in MB of memory, above what it needs anyway (bench/build.py
# measured about 65 and 90: bench/RESULTS.md). A build that would not fit is refused before it starts.
BUILD_MB_PER_TEXT_MB = 70
BUILD_BASE_MB = 100


def _available_mb() -> tuple[float, str] | None:
    """The memory this process may still take (MB) and what limits it: the address-space limit
    (RLIMIT_AS), the cgroup's limit, or the machine's available memory, whichever is least."""
    found = []
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft != resource.RLIM_INFINITY:
        with contextlib.suppress(OSError, ValueError, IndexError):
            used = int(Path("/proc/self/statm").read_text().split()[0]) * os.sysconf("SC_PAGE_SIZE")
            found.append(((soft - used) / 1e6, "the address-space limit (ulimit -v) of this process"))
    cgroup = memory.cgroup_limit()
    if cgroup is not None:
        limit, current = cgroup
        found.append(((limit - (current or 0)) / 1e6, "the container's (cgroup's) memory limit"))
    with contextlib.suppress(OSError, ValueError, StopIteration):
        lines = Path("/proc/meminfo").read_text().splitlines()
        kb = int(next(line for line in lines if line.startswith("MemAvailable:")).split()[1])
        found.append((kb * 1024 / 1e6, "the machine's available memory"))
    return min(found) if found else None


def _check_memory(sources: list[Path] | None) -> None:
    """Refuse a build that would run out of memory, before it starts, with the numbers."""
    text_mb = 0.0
    for source in sources or []:
        with contextlib.suppress(OSError):
            text_mb += Path(source).stat().st_size / 1e6
    need = BUILD_BASE_MB + BUILD_MB_PER_TEXT_MB * text_mb
    available = _available_mb()
    if available is not None and need > available[0]:
        raise UserError(f"内存不足: building {text_mb:.1f} MB of policy text needs about {need:.0f} MB of memory, "
                        f"but {available[1]} leaves {max(0.0, available[0]):.0f} MB (not enough memory)")


def run_build(args) -> int:
    base = _base(args)
    _check_memory(args.source)
    try:
        with _terminate_as_exception(), _memory_reserve():
            result = build(args.source, base, lean=True, max_source_bytes=_max_source_bytes(args))
            write_graphs(result.graphs, base, args.out)
    except SourceError as exc:
        raise UserError(str(exc)) from None
    except (ValueError, OSError) as exc:
        raise UserError(str(exc)) from None
    except MemoryError:
        raise UserError(f"not enough memory to build {args.out} from {', '.join(map(str, args.source or []))} "
                        "(内存不足); see docs/operations.md for the sizes a build needs") from None
    counts = triple_counts(result.graphs)
    asserted = sum(n for name, n in counts.items() if name != "inferred")
    units = sum(len(d.units) for d in result.documents)
    per_graph = ", ".join(f"{name} {n}" for name, n in counts.items())
    inferred = f" + {counts['inferred']} inferred" if "inferred" in counts else ""
    print(f"built {args.out}: {len(result.documents)} document(s), {units} units, "
          f"{asserted} asserted triples{inferred} ({per_graph}) in {result.seconds:.2f} s")
    return 0


@contextlib.contextmanager
def _memory_reserve(size: int = 32 << 20):
    """Memory set aside and given back the moment a MemoryError unwinds the block: the cleanup on the
    way out (temporary file, signal handler, the error message) then has room to run, although the
    build's graphs are only freed once the error has been handled."""
    reserve = bytearray(size)
    try:
        yield
    except MemoryError:
        del reserve
        raise


@contextlib.contextmanager
def _terminate_as_exception():
    """SIGTERM (a service manager's stop, ``kill``) raises SystemExit inside the block, so that the
    half-written temporary output is removed like on any other failure."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum, frame):
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _data_graphs(args) -> dict:
    """Named graphs (by short name) from --data, or from a fresh build."""
    base = _base(args)
    if args.data is None:
        try:
            return build(args.source, base, max_source_bytes=_max_source_bytes(args)).graphs
        except SourceError as exc:
            raise UserError(str(exc)) from None
    fmt = {".trig": "trig", ".nq": "nquads"}.get(args.data.suffix.lower())
    if fmt is None or not args.data.is_file():
        raise UserError(f"{args.data}: not a .trig or .nq dataset file")
    dataset = Dataset()
    try:
        dataset.parse(args.data, format=fmt)
    except Exception as exc:  # any parser error is the user's file
        raise UserError(f"{args.data}: cannot read the dataset ({exc})") from None
    return {name: dataset.graph(iris.graph_iri(base, name)) for name in iris.GRAPH_NAMES}


def run_validate(args) -> int:
    graphs = _data_graphs(args)
    data = Graph()
    for name in ("document", "statements", "background"):
        if name in graphs:
            data += graphs[name]
    if not len(data):
        raise UserError("no document, statements or background triples to validate")
    report = validate_shapes(data)
    messages = report.messages()
    violations = [m for m in messages if m.startswith("Violation")]
    print(f"SHACL: {'conforms' if report.conforms else 'does NOT conform'} "
          f"({len(data)} triples, {len(violations)} violation(s), {len(messages) - len(violations)} other result(s))")
    for message in messages[:50]:
        print(f"  {message}")
    ok = report.conforms
    if args.reasoner:
        try:
            result = check_ontology(data)
        except ReasonerUnavailable as exc:
            raise UserError(f"cannot run HermiT: {exc}") from None
        print(result.summary())
        ok = ok and result.ok
    return 0 if ok else 1


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _clip(text: str, width: int) -> str:
    text = " ".join(text.split())
    out, used = "", 0
    for ch in text:
        w = _width(ch)
        if used + w > width - 1:
            return out + "…" + " " * (width - used - 1)
        out, used = out + ch, used + w
    return out + " " * (width - used)


def run_clauses(args) -> int:
    try:
        document = parse_document(args.source or BUNDLED_SOURCE, base=_base(args))
    except SourceError as exc:
        raise UserError(str(exc)) from None
    rows = [{k: getattr(u, k) for k in CLAUSE_FIELDS} for u in document.units]
    if args.format == "json":
        return _emit(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
    columns = (("path", 16), ("kind", 10), ("number", 7), ("heading", 26), ("span", 11), ("text", 40))
    lines = [" ".join(_clip(name, w) for name, w in columns).rstrip()]
    for row in rows:
        values = {**row, "span": f"{row['start']}-{row['end']}"}
        lines.append(" ".join(_clip(str(values[name] or ""), w) for name, w in columns).rstrip())
    return _emit("\n".join(lines) + "\n")


def _emit(text: str) -> int:
    """Write to stdout; a reader that stops early (``| head``) is not an error."""
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0
