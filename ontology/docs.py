"""Human-readable documentation of the ontology.

``generate_docs(out_dir)`` writes:

* ``index.html``   — the OWL documentation by pyLODE (every class and property, with labels,
                     definitions, domains, ranges, inverses and hierarchy);
* ``schemes.html`` — the SKOS concept schemes (modalities with their grading, topics, actions,
                     left operands, units, periods, subdivision types) and the modelling notes
                     (punning, responsibility-chain queries) read from the ontology itself;
* ``policykg.ttl`` / ``shapes.ttl`` — the ontology and the SHACL shapes as Turtle.

The SPARQL service serves the folder as static files. Files are written atomically.
"""
from __future__ import annotations

import html
import importlib.metadata
import re
import logging
import sys
import types
from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS

from policykg.files import write_atomically
from policykg.ontology import ONTOLOGY_IRI, ontology_graph, shapes_graph
from policykg.ontology.namespaces import PKG_URI

SCHEME_ORDER = ("ModalityScheme", "TopicScheme", "ActionScheme", "LeftOperandScheme", "UnitScheme",
                "PeriodScheme", "SubdivisionTypeScheme")


@dataclass
class DocsResult:
    out_dir: Path
    files: list[Path]
    classes: int
    properties: int
    concepts: int

    def summary(self) -> str:
        return (f"wrote {len(self.files)} files to {self.out_dir}: {self.classes} classes, "
                f"{self.properties} properties, {self.concepts} concepts documented")


def _import_pylode():
    """Import pyLODE's OntPub. pyLODE 3.4 reads its version from a pyproject.toml that its wheel
    does not ship; provide that module from the installed distribution's metadata instead."""
    if "pylode.version" not in sys.modules:
        try:
            import pylode.version  # noqa: F401
        except (FileNotFoundError, ImportError):
            stub = types.ModuleType("pylode.version")
            stub.__version__ = importlib.metadata.version("pylode")
            sys.modules["pylode.version"] = stub
            for name in [n for n in sys.modules if n.startswith("pylode") and n != "pylode.version"]:
                del sys.modules[name]  # forget a half-imported package
    from pylode import OntPub
    return OntPub


def _write(path: Path, text: str) -> Path:
    return write_atomically(path, text.encode("utf-8"))


def _local(iri) -> str:
    s = str(iri)
    return s[len(PKG_URI):] if s.startswith(PKG_URI) else s


def _lang(graph: Graph, subject, predicate, lang: str) -> str:
    values = sorted(str(o) for o in graph.objects(subject, predicate)
                    if isinstance(o, Literal) and o.language == lang)
    return values[0] if values else ""


def pylode_html(graph: Graph) -> str:
    """The pyLODE (OntPub profile) HTML page for the graph."""
    OntPub = _import_pylode()
    root = logging.getLogger()
    level = root.level
    root.setLevel(max(level, logging.WARNING))  # pyLODE logs progress on the root logger
    try:
        return OntPub(ontology=graph, sort_subjects=True).make_html()
    finally:
        root.setLevel(level)


NAV = ('<nav style="padding:0.5em 1em;background:#f4f4f4;border-bottom:1px solid #ccc">'
       '<a href="index.html">本体 Ontology</a> · <a href="schemes.html">概念体系与建模说明 Schemes and notes</a> · '
       '<a href="policykg.ttl">policykg.ttl</a> · <a href="shapes.ttl">shapes.ttl</a></nav>')


def schemes_html(graph: Graph) -> str:
    """A page for the SKOS schemes and the ontology's modelling notes."""
    e = html.escape
    onto = URIRef(ONTOLOGY_IRI)
    out = ['<!DOCTYPE html><html lang="zh"><head><meta charset="utf-8">',
           "<title>policykg 概念体系 · concept schemes</title>",
           "<style>body{font-family:sans-serif;margin:0}main{padding:1em 2em;max-width:70em}"
           "table{border-collapse:collapse;margin-bottom:2em}td,th{border:1px solid #ccc;padding:.3em .5em;"
           "vertical-align:top;text-align:left}code,pre{background:#f8f8f8}pre{padding:.5em;white-space:pre-wrap}"
           "</style></head><body>", NAV, "<main>",
           f"<h1>{e(_lang(graph, onto, RDFS.label, 'zh') or 'policykg')} 概念体系与建模说明</h1>",
           "<h2>建模说明 Modelling notes</h2>"]
    for comment in sorted(graph.objects(onto, RDFS.comment), key=lambda c: (c.language != "zh", str(c))):
        out.append(f'<p lang="{e(comment.language or "en")}">{e(str(comment))}</p>')
    chain = URIRef(PKG_URI + "responsibilityFlowsTo")
    out.append("<h3>责任链查询 Responsibility-chain queries</h3>")
    for comment in graph.objects(chain, RDFS.comment):
        out.append(f"<p>{e(str(comment))}</p>")
    for example in sorted(graph.objects(chain, SKOS.example), key=str):
        out.append(f"<pre>{e(str(example))}</pre>")
    for name in SCHEME_ORDER:
        scheme = URIRef(PKG_URI + name)
        concepts = sorted(graph.subjects(SKOS.inScheme, scheme), key=_sort_key(graph))
        out.append(f'<h2 id="{e(name)}">{e(_lang(graph, scheme, RDFS.label, "zh"))} · '
                   f'{e(_lang(graph, scheme, RDFS.label, "en"))} <small><code>pkg:{e(name)}</code></small></h2>')
        out.append(f"<p>{e(_lang(graph, scheme, SKOS.definition, 'zh'))} "
                   f"{e(_lang(graph, scheme, SKOS.definition, 'en'))}</p>")
        out.append("<table><tr><th>术语 Term</th><th>记号 Notation</th><th>中文</th><th>English</th>"
                   "<th>别名 altLabel</th><th>定义 Definition</th><th>对应 Match</th></tr>")
        for concept in concepts:
            local = _local(concept)
            alts = "、".join(sorted(str(a) for a in graph.objects(concept, SKOS.altLabel)))
            notation = " ".join(sorted(str(n) for n in graph.objects(concept, SKOS.notation)))
            matches = " ".join(f'<a href="{e(str(m))}">{e(_local(m))}</a>' for m in
                               sorted(set(graph.objects(concept, SKOS.exactMatch)) |
                                      set(graph.objects(concept, SKOS.closeMatch)), key=str))
            out.append(f'<tr id="{e(local)}"><td><code>pkg:{e(local)}</code></td><td>{e(notation)}</td>'
                       f"<td>{e(_lang(graph, concept, RDFS.label, 'zh'))}</td>"
                       f"<td>{e(_lang(graph, concept, RDFS.label, 'en'))}</td><td>{e(alts)}</td>"
                       f"<td>{e(_lang(graph, concept, SKOS.definition, 'zh'))}<br>"
                       f"{e(_lang(graph, concept, SKOS.definition, 'en'))}</td><td>{matches}</td></tr>")
        out.append("</table>")
    out.append("</main></body></html>")
    return "\n".join(out)


def _sort_key(graph: Graph):
    def key(concept):
        notation = next(iter(graph.objects(concept, SKOS.notation)), None)
        try:
            rank = -float(notation) if notation is not None else 0.0
        except ValueError:
            rank = 0.0
        return (rank, str(concept))
    return key


def clean_title(page: str, graph: Graph) -> str:
    """pyLODE titles the page with every title it finds (the ontology's and each concept scheme's,
    run together): title it with the ontology's own, Chinese first."""
    onto = URIRef(ONTOLOGY_IRI)
    zh, en = _lang(graph, onto, DCTERMS.title, "zh"), _lang(graph, onto, DCTERMS.title, "en")
    title = html.escape(" · ".join(t for t in (zh, en) if t) or "policykg")
    page = re.sub(r"<title>.*?</title>", f"<title>{title}</title>", page, count=1, flags=re.S)
    return re.sub(r"<h1>.*?</h1>", f"<h1>{title}</h1>", page, count=1, flags=re.S)


def generate_docs(out_dir: Path) -> DocsResult:
    """Write the documentation folder and return what it contains."""
    out_dir = Path(out_dir)
    graph = ontology_graph()
    page = clean_title(pylode_html(graph), graph)
    page = page.replace("<body>", "<body>\n" + NAV, 1)
    files = [
        _write(out_dir / "index.html", page),
        _write(out_dir / "schemes.html", schemes_html(graph)),
        _write(out_dir / "policykg.ttl", graph.serialize(format="turtle")),
        _write(out_dir / "shapes.ttl", shapes_graph().serialize(format="turtle")),
    ]
    own = lambda t: {s for s in graph.subjects(RDF.type, t) if str(s).startswith(PKG_URI)}
    properties = own(OWL.ObjectProperty) | own(OWL.DatatypeProperty) | own(OWL.AnnotationProperty)
    return DocsResult(out_dir, files, len(own(OWL.Class)), len(properties), len(own(SKOS.Concept)))


__all__ = ["DocsResult", "generate_docs", "pylode_html", "schemes_html"]
