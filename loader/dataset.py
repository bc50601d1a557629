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
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Iterator

import pyoxigraph as ox
from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.namespace import XSD

from policykg import iris
from policykg.files import atomic_output, remove_stale_temporaries
from policykg.loader.document_graph import document_graph
from policykg.loader.parser import Document, parse_document
from policykg.loader.reasoning import infer
from policykg.loader.statements import build_statements
from policykg.loader.text import SourceError
from policykg.loader.triples import TripleSet
from policykg.ontology import ontology_graph
from policykg.ontology.namespaces import PREFIXES
from policykg.settings import DEFAULT_BASE

SOURCES_DIR = Path(__file__).resolve().parent / "sources"
BUNDLED_SOURCE = SOURCES_DIR / "suzhou-2011-community-party-building.txt"
FORMATS = {".trig": ox.RdfFormat.TRIG, ".nq": ox.RdfFormat.N_QUADS, ".ttl": ox.RdfFormat.TURTLE,
           ".jsonld": ox.RdfFormat.JSON_LD}


@dataclass
class Build:
    """What one build produced: the documents and each named graph (the dataset on demand)."""
    documents: list[Document]
    graphs: dict[str, Graph]
    base: str = DEFAULT_BASE
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)

    @cached_property
    def dataset(self) -> Dataset:
        """The named graphs as one rdflib Dataset (a second copy of every triple: made only when asked)."""
        dataset = Dataset()
        for prefix, namespace in PREFIXES.items():
            dataset.bind(prefix, namespace)
        for name in iris.GRAPH_NAMES:
            if name in self.graphs:
                target = dataset.graph(URIRef(iris.graph_iri(self.base, name)))
                for triple in self.graphs[name]:
                    target.add(triple)
        return dataset


def build(sources: list[Path] | None = None, base: str = DEFAULT_BASE, lean: bool = False,
          max_source_bytes: int | None = None) -> Build:
    """Parse the sources (the bundled policy by default) and assemble every named graph.

    ``lean`` keeps the document and inferred graphs (the ones that grow with the text) in plain
    sets of triples (:class:`TripleSet`) instead of rdflib Graphs: what ``policykg build`` does,
    which only writes them out (:func:`write_graphs`). A source over ``max_source_bytes`` is refused
    (:class:`SourceError`) before it is read."""
    started = time.perf_counter()
    timings: dict[str, float] = {}
    sources = [Path(s) for s in (sources or [BUNDLED_SOURCE])]
    documents = [parse_document(path, base=base, max_bytes=max_source_bytes) for path in sources]
    ids = [d.doc_id for d in documents]
    if len(set(ids)) != len(ids):
        dup = next(i for i in ids if ids.count(i) > 1)
        raise SourceError(next(s for s, d in zip(sources, documents) if d.doc_id == dup),
                          f"two sources have the same document id {dup!r} (file stem)")
    timings["parse"] = time.perf_counter() - started

    new_graph = TripleSet if lean else Graph
    graphs: dict[str, Graph] = {}
    t = time.perf_counter()
    graphs["ontology"] = ontology_graph()
    timings["ontology"] = time.perf_counter() - t
    t = time.perf_counter()
    graphs["document"] = new_graph()
    for document in documents:
        document_graph(document, base, into=graphs["document"])
    timings["document"] = time.perf_counter() - t
    t = time.perf_counter()
    for name, graph in build_statements(documents, base).items():
        graphs[name] = graph
    timings["statements"] = time.perf_counter() - t
    t = time.perf_counter()
    graphs["inferred"] = infer(dict(graphs), new_graph=new_graph)
    timings["inferred"] = time.perf_counter() - t
    _keep_each_triple_once(graphs)
    return Build(documents, graphs, base, time.perf_counter() - started, timings)


def _keep_each_triple_once(graphs: dict[str, Graph]) -> None:
    """Remove from each graph the triples an earlier graph (in GRAPH_NAMES order) holds."""
    earlier: set = set()
    names = [name for name in iris.GRAPH_NAMES if name in graphs]
    for i, name in enumerate(names):
        graph = graphs[name]
        for triple in [t for t in graph if t in earlier]:
            graph.remove(triple)
        if i + 1 < len(names):   # the last graph's triples need no remembering
            earlier.update(graph)


def build_dataset(sources: list[Path] | None = None, base: str = DEFAULT_BASE) -> Dataset:
    """The dataset with its named graphs (see :func:`build` for the parts)."""
    return build(sources, base).dataset


def canonical_quads(dataset: Dataset) -> list[ox.Quad]:
    """All quads of the named graphs, blank nodes canonicalized, in a stable sorted order."""
    return list(_sorted_quads(_dataset_graphs(dataset)))


def _dataset_graphs(dataset: Dataset) -> list[tuple[object, Graph]]:
    """(oxigraph graph name, graph) for each graph of an rdflib Dataset that holds triples."""
    out = []
    for graph in dataset.graphs():
        if len(graph):
            name = graph.identifier
            out.append((ox.DefaultGraph() if name is None or name == DATASET_DEFAULT_GRAPH_ID
                        else to_oxigraph_term(name), graph))
    return out


def _named_graphs(graphs: dict[str, Graph], base: str) -> list[tuple[object, Graph]]:
    return [(ox.NamedNode(iris.graph_iri(base, name)), graphs[name]) for name in iris.GRAPH_NAMES
            if name in graphs and len(graphs[name])]


def _has_blank(triple) -> bool:
    s, _, o = triple   # a predicate is never blank; type() rather than isinstance: rdflib's terms check slowly
    return type(s) is BNode or type(o) is BNode or isinstance(s, BNode) or isinstance(o, BNode)


def _sorted_quads(named: list[tuple[object, Graph]]) -> Iterator[ox.Quad]:
    """The quads sorted by (graph, subject, predicate, object) as N-Quads terms, blank nodes
    canonicalized (RDFC-1.0), produced one subject at a time.

    Canonical labels depend only on the quads that hold blank nodes, so only those go through
    pyoxigraph's canonicalization; the other quads are grouped by subject, and only one subject's
    sort keys exist at a time: no sorted copy of the whole dataset is ever held."""
    blank = ox.Dataset(_ox_quad(s, p, o, name) for name, graph in named for s, p, o in graph if _has_blank((s, p, o)))
    blank.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    blank_by_graph: dict[str, dict[str, list[ox.Quad]]] = defaultdict(lambda: defaultdict(list))
    for quad in blank:
        blank_by_graph[str(quad.graph_name)][str(quad.subject)].append(quad)
    predicates: dict = {}   # few and repeated: converted once
    for name, graph in sorted(named, key=lambda pair: str(pair[0])):
        subjects: dict = defaultdict(list)
        for triple in graph:
            if not _has_blank(triple):
                subjects[triple[0]].append(triple)
        blank_subjects = blank_by_graph.pop(str(name), {})
        keys = {f"<{s}>": s for s in subjects}   # subjects here are IRIs: <iri> is their N-Quads form
        for key in sorted(keys.keys() | blank_subjects.keys()):
            subject = keys.get(key)
            quads = []
            if subject is not None:
                ox_subject = to_oxigraph_term(subject)
                for _, p, o in subjects.pop(subject):   # written: let it go
                    ox_p = predicates.get(p) or predicates.setdefault(p, to_oxigraph_term(p))
                    quads.append(ox.Quad(ox_subject, ox_p, to_oxigraph_term(o), name))
            quads += blank_subjects.get(key, [])
            quads.sort(key=_predicate_object)
            yield from quads


def _predicate_object(quad: ox.Quad) -> tuple[str, str]:
    return str(quad.predicate), str(quad.object)


def to_oxigraph_term(term):
    """The pyoxigraph term for an rdflib term (the one conversion the project uses)."""
    if type(term) is URIRef or isinstance(term, URIRef):
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
    if isinstance(name, (ox.NamedNode, ox.DefaultGraph)):
        graph = name
    else:
        graph = ox.DefaultGraph() if name is None or name == DATASET_DEFAULT_GRAPH_ID else to_oxigraph_term(name)
    return ox.Quad(to_oxigraph_term(s), to_oxigraph_term(p), to_oxigraph_term(o), graph)


def _serialize(named: list[tuple[object, Graph]], fmt: ox.RdfFormat, output=None):
    """Serialize the graphs in the format (into ``output``, a binary file, or as bytes)."""
    if fmt.supports_datasets:
        return ox.serialize(_sorted_quads(named), output, format=fmt, prefixes=PREFIXES)
    # Triple formats get the union of the graphs, each triple once.
    triples = sorted({q.triple for q in _sorted_quads(named)},
                     key=lambda t: (str(t.subject), str(t.predicate), str(t.object)))
    return ox.serialize(triples, output, format=fmt, prefixes=PREFIXES)


def serialize_dataset(dataset: Dataset, fmt: ox.RdfFormat) -> bytes:
    return _serialize(_dataset_graphs(dataset), fmt)


def _format(out_path: Path) -> ox.RdfFormat:
    fmt = FORMATS.get(out_path.suffix.lower())
    if fmt is None:
        raise ValueError(f"{out_path}: unknown output format {out_path.suffix!r}; "
                         f"use one of {', '.join(FORMATS)}")
    return fmt


def write_dataset(dataset: Dataset, out_path: Path | str) -> Path:
    """Write the dataset in the format named by the extension (.trig, .nq, .ttl, .jsonld),
    deterministically and atomically. Returns the path written."""
    return _write(_dataset_graphs(dataset), Path(out_path))


def write_graphs(graphs: dict[str, Graph], base: str, out_path: Path | str) -> Path:
    """Write a build's named graphs as :func:`write_dataset` writes its dataset (the same bytes),
    streaming into the file without an rdflib Dataset or a serialized copy in memory."""
    return _write(_named_graphs(graphs, base), Path(out_path))


def _write(named: list[tuple[object, Graph]], out_path: Path) -> Path:
    fmt = _format(out_path)
    remove_stale_temporaries(out_path)   # left by builds killed before they could clean up
    with atomic_output(out_path) as handle:
        _serialize(named, fmt, handle)
    return out_path


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
           "canonical_quads", "triple_counts", "write_graphs"]
