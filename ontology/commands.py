"""CLI: ``policykg docs`` (ontology documentation) and ``policykg check-ontology`` (HermiT + SHACL)."""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from rdflib import Dataset, Graph

from policykg.errors import UserError
from policykg.ontology import validate_shapes
from policykg.ontology.docs import generate_docs
from policykg.ontology.reasoner import ReasonerUnavailable, check_ontology


def register(subparsers: argparse._SubParsersAction) -> None:
    docs = subparsers.add_parser("docs", help="generate the ontology's HTML documentation (pyLODE)",
                                 description="Write index.html (pyLODE), schemes.html, policykg.ttl and "
                                             "shapes.ttl into DIR.")
    docs.add_argument("--out", required=True, type=Path, metavar="DIR", help="output folder (created)")
    docs.set_defaults(func=run_docs)

    check = subparsers.add_parser("check-ontology", help="HermiT consistency check (and SHACL on data files)",
                                  description="Run HermiT on the ontology plus any DATA files (OWL 2 DL "
                                              "consistency, unsatisfiable classes) and validate the DATA "
                                              "files against the SHACL shapes.")
    check.add_argument("data", nargs="*", type=Path, metavar="DATA",
                       help="RDF files (Turtle, TriG, N-Triples, N-Quads; format by extension)")
    check.add_argument("--no-reasoner", action="store_true", help="skip HermiT")
    check.add_argument("--json", action="store_true", help="print a JSON report")
    check.set_defaults(func=run_check)


def run_docs(args: argparse.Namespace) -> int:
    if args.out.exists() and not args.out.is_dir():
        raise UserError(f"--out {args.out}: exists and is not a folder")
    result = generate_docs(args.out)
    print(result.summary())
    return 0


def _load(paths: list[Path]):
    graph = Graph()
    for path in paths:
        if not path.is_file():
            raise UserError(f"{path}: no such file")
        suffix = path.suffix.lower()
        try:
            if suffix in (".trig", ".nq", ".nquads"):
                ds = Dataset()
                ds.parse(path, format="trig" if suffix == ".trig" else "nquads")
                for s, p, o, _ in ds.quads((None, None, None, None)):
                    graph.add((s, p, o))
            else:
                graph.parse(path)
        except Exception as exc:  # rdflib raises many parser-specific errors
            raise UserError(f"{path}: cannot parse: {exc}") from exc
    return graph


def run_check(args: argparse.Namespace) -> int:
    data = _load(args.data) if args.data else None
    report: dict = {}
    ok = True
    if not args.no_reasoner:
        try:
            reasoned = check_ontology(data)
        except ReasonerUnavailable as exc:
            raise UserError(str(exc)) from exc
        report["reasoner"] = reasoned.as_dict()
        ok = ok and reasoned.ok
        if not args.json:
            print(reasoned.summary())
    if data is not None:
        shapes = validate_shapes(data)
        report["shacl"] = {"conforms": shapes.conforms, "results": shapes.messages()}
        ok = ok and shapes.conforms
        if not args.json:
            print(f"SHACL: {'conforms' if shapes.conforms else 'does NOT conform'}"
                  f" ({len(shapes.messages())} result(s))")
            for line in shapes.messages()[:50]:
                print("  " + line)
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    return 0 if ok else 1


__all__ = ["register", "run_docs", "run_check"]
