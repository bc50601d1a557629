"""Assembling the one RDF dataset (named graphs) and writing it deterministically.

Graphs: ``{base}graph/ontology`` (:func:`policykg.ontology.ontology_graph`), ``…/document``
(:func:`policykg.loader.document_graph.document_graph`), ``…/statements`` and ``…/background``
(:func:`policykg.loader.statements.build_statements`) and ``…/inferred``
(:func:`policykg.loader.reasoning.infer`).

One graph per triple: a triple that two graphs state (the background graph cites the Organic Law
for the ontology's axiom that a residents' committee is a self-governing organization) is stored
only in the first of them, in the order above. The service's default graph is the union of the
named graphs, and pyoxigraph's union, like Oxigraph's server's, keeps a triple once per graph that
holds it; disjoint graphs make that union a set, as RDF's merge is, so no answer repeats a row.
The background fact's ``rdf:Statement`` and citation stay in the background graph.

Determinism: the output must be byte-identical for the same input across processes, although
Python's hash seed (set iteration order) and blank-node labels vary. So the quads go through
pyoxigraph, which canonicalizes blank nodes (RDFC-1.0), and are sorted before serializing.
Atomicity: the file is written to a temporary file in the same folder and renamed into place;
on any failure the temporary file is removed and an existing output is left untouched.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.namespace import XSD

from policykg import iris
from policykg.files import write_atomically
from policykg.loader.document_graph import document_graph
from policykg.loader.parser import Document, parse_document
from policykg.loader.reasoning import infer
from policykg.loader.statements import build_statements
from policykg.loader.text import SourceError
from policykg.ontology import ontology_graph
from policykg.ontology.namespaces import PREFIXES
from policykg.settings import DEFAULT_BASE

SOURCES_DIR = Path(__file__).resolve().parent / "sources"
BUNDLED_SOURCE = SOURCES_DIR / "suzhou-2011-community-party-building.txt"
FORMATS = {".trig": ox.RdfFormat.TRIG, ".nq": ox.RdfFormat.N_QUADS, ".ttl": ox.RdfFormat.TURTLE,
           ".jsonld": ox.RdfFormat.JSON_LD}


@dataclass
class Build:
    """What one build produced: the documents, each named graph, and the dataset."""
    documents: list[Document]
    graphs: dict[str, Graph]
    dataset: Dataset
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)


def build(sources: list[Path] | None = None, base: str = DEFAULT_BASE) -> Build:
    """Parse the sources (the bundled policy by default) and assemble every named graph."""
    started = time.perf_counter()
    timings: dict[str, float] = {}
    sources = [Path(s) for s in (sources or [BUNDLED_SOURCE])]
    documents = [parse_document(path, base=base) for path in sources]
    ids = [d.doc_id for d in documents]
    if len(set(ids)) != len(ids):
        dup = next(i for i in ids if ids.count(i) > 1)
        raise SourceError(next(s for s, d in zip(sources, documents) if d.doc_id == dup),
                          f"two sources have the same document id {dup!r} (file stem)")
    timings["parse"] = time.perf_counter() - started

    graphs: dict[str, Graph] = {}
    t = time.perf_counter()
    graphs["ontology"] = ontology_graph()
    timings["ontology"] = time.perf_counter() - t
    t = time.perf_counter()
    graphs["document"] = Graph()
    for document in documents:
        graphs["document"] += document_graph(document, base)
    timings["document"] = time.perf_counter() - t
    t = time.perf_counter()
    for name, graph in build_statements(documents, base).items():
        graphs[name] = graph
    timings["statements"] = time.perf_counter() - t
    t = time.perf_counter()
    graphs["inferred"] = infer(dict(graphs))
    timings["inferred"] = time.perf_counter() - t

    dataset = Dataset()
    for prefix, namespace in PREFIXES.items():
        dataset.bind(prefix, namespace)
    _keep_each_triple_once(graphs)
    for name in iris.GRAPH_NAMES:
        if name in graphs:
            target = dataset.graph(URIRef(iris.graph_iri(base, name)))
            for triple in graphs[name]:
                target.add(triple)
    return Build(documents, graphs, dataset, time.perf_counter() - started, timings)


def _keep_each_triple_once(graphs: dict[str, Graph]) -> None:
    """Remove from each graph the triples an earlier graph (in GRAPH_NAMES order) holds."""
    earlier: set = set()
    for name in iris.GRAPH_NAMES:
        if name in graphs:
            graph = graphs[name]
            for triple in [t for t in graph if t in earlier]:
                graph.remove(triple)
            earlier.update(graph)


def build_dataset(sources: list[Path] | None = None, base: str = DEFAULT_BASE) -> Dataset:
    """The dataset with its named graphs (see :func:`build` for the parts)."""
    return build(sources, base).dataset


def canonical_quads(dataset: Dataset) -> list[ox.Quad]:
    """All quads of the named graphs, blank nodes canonicalized, in a stable sorted order."""
    canonical = ox.Dataset(_ox_quad(s, p, o, g) for s, p, o, g in dataset.quads((None, None, None, None)))
    canonical.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return sorted(canonical, key=lambda q: (str(q.graph_name), str(q.subject), str(q.predicate), str(q.object)))


def to_oxigraph_term(term):
    """The pyoxigraph term for an rdflib term (the one conversion the project uses)."""
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype or XSD.string)))
    raise TypeError(f"not an RDF term: {term!r}")


def _ox_quad(s, p, o, g) -> ox.Quad:
    name = getattr(g, "identifier", g)
    graph = ox.DefaultGraph() if name is None or name == DATASET_DEFAULT_GRAPH_ID else to_oxigraph_term(name)
    return ox.Quad(to_oxigraph_term(s), to_oxigraph_term(p), to_oxigraph_term(o), graph)


def serialize_dataset(dataset: Dataset, fmt: ox.RdfFormat) -> bytes:
    quads = canonical_quads(dataset)
    if fmt.supports_datasets:
        return ox.serialize(quads, format=fmt, prefixes=PREFIXES)
    # Triple formats get the union of the graphs, each triple once.
    triples = sorted({q.triple for q in quads}, key=lambda t: (str(t.subject), str(t.predicate), str(t.object)))
    return ox.serialize(triples, format=fmt, prefixes=PREFIXES)


def write_dataset(dataset: Dataset, out_path: Path | str) -> Path:
    """Write the dataset in the format named by the extension (.trig, .nq, .ttl, .jsonld),
    deterministically and atomically. Returns the path written."""
    out_path = Path(out_path)
    fmt = FORMATS.get(out_path.suffix.lower())
    if fmt is None:
        raise ValueError(f"{out_path}: unknown output format {out_path.suffix!r}; "
                         f"use one of {', '.join(FORMATS)}")
    return write_atomically(out_path, serialize_dataset(dataset, fmt))


def build_bundled(base: str = DEFAULT_BASE) -> Path:
    """Build the bundled policy (every source in ``sources/``) into a file of this process in
    the cache folder, named after the base and the sources, and return its path."""
    sources = sorted(SOURCES_DIR.glob("*.txt"))
    digest = hashlib.sha256(base.encode())
    for path in sources:
        digest.update(path.read_bytes())
    cache = Path(os.environ.get("XDG_CACHE_HOME", tempfile.gettempdir())) / "policykg"
    cache.mkdir(parents=True, exist_ok=True)
    out = cache / f"bundled-{digest.hexdigest()[:16]}-{os.getpid()}.trig"
    return write_dataset(build_dataset(sources, base), out)


def triple_counts(graphs: dict[str, Graph]) -> dict[str, int]:
    return {name: len(graphs[name]) for name in iris.GRAPH_NAMES if name in graphs}


__all__ = ["BUNDLED_SOURCE", "Build", "build", "build_bundled", "build_dataset", "write_dataset", "serialize_dataset",
           "canonical_quads", "triple_counts"]
