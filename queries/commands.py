"""``policykg query`` and ``policykg graph``: the named questions and the actor graph from the shell.

    policykg query --list
    policykg query leaders_of --param actor=居委会
    policykg query numeric_norms --param topic=经费 --format csv
    policykg query --ask 谁领导居委会?
    policykg graph --format graphml --out build/actors.graphml
    policykg ask 社区工作经费标准是多少?党员活动经费呢?
    policykg locate "社区工作经费按不低于20元/人.年的标准核拨"      (or the passage on standard input)
"""
from __future__ import annotations

import csv
import json
import sys
import unicodedata
from pathlib import Path

from policykg import iris
from policykg.errors import UserError
from policykg.ontology.namespaces import PKG_URI
from policykg.queries.answering import ask
from policykg.queries.ask import answer
from policykg.queries.chains import actor_graph
from policykg.queries.library import LibraryError, ParameterError, get_query, load_library, run_query
from policykg.queries.resolve import Resolver
from policykg.settings import DEFAULT_BASE, load_config
from policykg.store.backend import open_store
from policykg.store.errors import StoreError


def _store(args):
    config = load_config({"base": getattr(args, "base", None), "data": args.data or None})
    try:
        return open_store(config), config
    except StoreError as exc:
        raise UserError(str(exc)) from None


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _short_forms(base: str) -> tuple[tuple[str, str], ...]:
    """IRI prefixes a table shortens, longest first: the vocabulary, documents, other things."""
    return (PKG_URI, "pkg:"), (iris.doc_iri(base, ""), "doc:"), (iris.id_prefix(base), "id:")


def _cell(value, limit: int, base: str = DEFAULT_BASE) -> str:
    text = "" if value is None else "; ".join(map(str, value)) if isinstance(value, list) else str(value)
    text = text.replace("\n", " ")
    for prefix, short in _short_forms(base):
        text = text.replace(prefix, short)
    out, width = "", 0
    for ch in text:
        w = _width(ch)
        if width + w > limit:
            return out[:-1] + "…" if out else "…"
        out += ch
        width += w
    return out


def format_table(rows: list[dict], columns: list[str], limit: int = 40, base: str = DEFAULT_BASE) -> str:
    """A readable fixed-width table (CJK characters count double); IRIs minted from ``base``
    are shortened."""
    if not rows:
        return "(no rows)"
    doc = iris.doc_iri(base, "")
    # Clause and statement IRIs are long; the table shows article and clause_label instead.
    shown = [c for c in columns if any(r.get(c) not in (None, "") for r in rows)
             and not all(str(r[c]).startswith(doc) for r in rows if r.get(c) not in (None, ""))]
    cells = [[_cell(r.get(c), limit, base) for c in shown] for r in rows]
    widths = [max([_width(c)] + [_width(row[i]) for row in cells]) for i, c in enumerate(shown)]
    pad = lambda text, w: text + " " * (w - _width(text))  # noqa: E731
    lines = ["  ".join(pad(c, w) for c, w in zip(shown, widths)).rstrip(),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(pad(v, w) for v, w in zip(row, widths)).rstrip() for row in cells]
    return "\n".join(lines)


def _params(pairs: list[str]) -> dict:
    out = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise UserError(f"--param needs NAME=VALUE, not {pair!r}")
        out[key.strip()] = value
    return out


def cmd_query(args) -> int:
    try:
        library = load_library()
    except LibraryError as exc:
        raise UserError(str(exc)) from None
    if args.list or (not args.name and not args.ask):
        rows = [{"name": q.name, "title_zh": q.title_zh, "title_en": q.title_en,
                 "params": " ".join(f"{p.name}{'*' if p.required else ''}:{p.type}" for p in q.params)}
                for q in library.values()]
        if args.format == "json":
            print(json.dumps([q.metadata() for q in library.values()], ensure_ascii=False, indent=1))
        else:
            _emit(rows, ["name", "title_zh", "title_en", "params"], args.format, limit=60)
        return 0
    store, config = _store(args)
    resolver = Resolver(store, config.base)
    try:
        if args.ask:
            result = answer(args.ask, store, resolver)
            print(f"# {result['query']} ({result['title_zh']}) {json.dumps({k: v.get('value') for k, v in result['params'].items()}, ensure_ascii=False)}",
                  file=sys.stderr)
        else:
            result = run_query(get_query(args.name), store, _params(args.param), resolver, resolver.clauses)
    except ParameterError as exc:
        hint = ""
        if exc.candidates:
            hint = "\n  candidates: " + ", ".join(
                c.get("label_zh") or c.get("name") or c.get("iri", "") for c in exc.candidates[:8])
        raise UserError(f"{exc.message}{hint}") from None
    _emit(result["rows"], result["columns"], args.format, base=config.base)
    return 0


def _emit(rows, columns, fmt, limit: int = 40, base: str = DEFAULT_BASE) -> None:
    if fmt == "json":
        print(json.dumps(rows, ensure_ascii=False, indent=1))
    elif fmt == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow(["" if row.get(c) is None else row.get(c) for c in columns])
    else:
        print(format_table(rows, columns, limit, base))


def cmd_graph(args) -> int:
    store, config = _store(args)
    graph = actor_graph(store, Resolver(store, config.base))
    text = graph.export(args.format, args.scope)
    if args.out:
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(out.name + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(out)
        g = graph.subgraph(args.scope)
        print(f"wrote {out}: {g.number_of_nodes()} actors, {g.number_of_edges()} cited edges ({args.scope})")
    else:
        sys.stdout.write(text)
    return 0


def cmd_ask(args) -> int:
    """The answer /api/ask gives, in the terminal: the direct answer, then each part's citations."""
    store, config = _store(args)
    result = ask(args.question, store, Resolver(store, config.base), asserted_only=args.asserted_only)
    if args.format == "json":
        print(json.dumps(result, ensure_ascii=False, indent=1, default=str))
        return 0
    print(result["answer_en"] if args.lang == "en" else result["answer_zh"])
    for i, part in enumerate(result["parts"], 1):
        how = part["named_query"] or "原文检索 / text search"
        print(f"\n[{i}] {part['question']}  ({part['intent']}: {how})")
        for c in part["citations"]:
            label = c["label_en"] if args.lang == "en" else c["label_zh"]
            print(f"  {label}: {(c.get('highlighted') or c.get('quote') or '').strip()}")
    return 0


def cmd_locate(args) -> int:
    """The units a pasted passage comes from (as POST /api/locate answers)."""
    from policykg.queries.locate import locator

    passage = args.passage if args.passage is not None else (
        Path(args.file).read_text(encoding="utf-8") if args.file else sys.stdin.read())
    store, config = _store(args)
    resolver = Resolver(store, config.base)
    try:
        found = locator(store, resolver).locate(passage)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    if args.format == "json":
        print(json.dumps(found, ensure_ascii=False, indent=1))
        return 0
    state = "found" if found["found"] else "not found"
    print(f"score {found['score']} ({state}); offsets {found['start']}-{found['end']}: {found['text']}")
    for unit in found["units"]:
        print(f"  {unit['label_zh']} ({unit['path']}, {unit['start']}-{unit['end']}): overlap {unit['overlap']:.0%}")
    return 0 if found["found"] else 1


def register(subparsers) -> None:
    a = subparsers.add_parser("ask", help="ask a question in Chinese or English (the answer /api/ask gives)",
                              description="Answer a question as /api/ask does: a direct answer citing its clauses.")
    a.add_argument("question", help="the question, e.g. 社区工作经费标准是多少?")
    a.add_argument("--format", "-f", choices=("text", "json"), default="text")
    a.add_argument("--lang", choices=("zh", "en"), default="zh", help="the language of the answer shown")
    a.add_argument("--asserted-only", action="store_true", help="leave out rows that rest on a reading (解读)")
    a.add_argument("--data", help="a built dataset (.trig/.nq); default: POLICYKG_DATA or build the bundled policy")
    a.set_defaults(func=cmd_ask)

    loc = subparsers.add_parser("locate", help="find the units a pasted passage comes from",
                                description="Locate a passage pasted from another document in the policy: its "
                                            "offsets, the units it overlaps and a similarity score (exit 1: not found).")
    loc.add_argument("passage", nargs="?", help="the passage (default: --file or standard input)")
    loc.add_argument("--file", help="read the passage from this UTF-8 file")
    loc.add_argument("--format", "-f", choices=("text", "json"), default="text")
    loc.add_argument("--data", help="a built dataset (.trig/.nq); default: POLICYKG_DATA or build the bundled policy")
    loc.set_defaults(func=cmd_locate)

    q = subparsers.add_parser("query", help="run a named question (queries/*.rq)",
                              description="Run a named question; --list shows them all.")
    q.add_argument("name", nargs="?", help="the question's name (see --list)")
    q.add_argument("--param", "-p", action="append", metavar="NAME=VALUE", help="a parameter (repeatable)")
    q.add_argument("--format", "-f", choices=("table", "json", "csv"), default="table")
    q.add_argument("--list", "-l", action="store_true", help="list the named questions")
    q.add_argument("--ask", metavar="QUESTION", help="a question in Chinese instead of a name, e.g. 谁领导居委会?")
    q.add_argument("--data", help="a built dataset (.trig/.nq); default: POLICYKG_DATA or build the bundled policy")
    q.set_defaults(func=cmd_query)

    g = subparsers.add_parser("graph", help="export the actor graph (GraphML, GEXF, Cytoscape JSON)")
    g.add_argument("--format", "-f", choices=("graphml", "gexf", "json"), default="graphml")
    g.add_argument("--scope", choices=("all", "responsibility"), default="all",
                   help="all relations, or only the edges responsibility flows along")
    g.add_argument("--out", "-o", help="write to this file (default: standard output)")
    g.add_argument("--data", help="a built dataset (.trig/.nq); default: POLICYKG_DATA or build the bundled policy")
    g.set_defaults(func=cmd_graph)
