"""policykg.ontology: the OWL 2 DL vocabulary, its SKOS schemes and SHACL shapes.

``ONTOLOGY_FILES`` are the Turtle files that define the vocabulary (everything in
this folder except ``shapes*.ttl``); ``SHAPES_FILES`` are the SHACL shapes that
check a knowledge graph written in it. ``ontology_graph()`` returns a fresh
rdflib graph of the whole ontology (the dataset's ``…/graph/ontology``).
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from rdflib import Graph
from rdflib.namespace import RDF

RDF_TYPE = RDF.type

from policykg.ontology.namespaces import ONTOLOGY_DIR, PREFIXES

ONTOLOGY_IRI = "https://w3id.org/policykg/def"

ONTOLOGY_FILES: tuple[Path, ...] = tuple(
    p for p in sorted(ONTOLOGY_DIR.glob("*.ttl")) if not p.name.startswith("shapes")
)
SHAPES_FILES: tuple[Path, ...] = tuple(sorted(ONTOLOGY_DIR.glob("shapes*.ttl")))


def _bind(graph: Graph) -> Graph:
    for prefix, iri in PREFIXES.items():
        graph.bind(prefix, iri, override=True)
    return graph


@lru_cache(maxsize=4)
def _parsed(paths: tuple[Path, ...], stamps: tuple[float, ...]) -> Graph:
    graph = Graph()
    for path in paths:
        graph.parse(path, format="turtle")
    return graph


def _load(paths: tuple[Path, ...]) -> Graph:
    """A fresh graph with the triples of ``paths`` (parsed once per file modification)."""
    parsed = _parsed(paths, tuple(p.stat().st_mtime_ns for p in paths))
    graph = _bind(Graph())
    for triple in parsed:
        graph.add(triple)
    return graph


def ontology_graph() -> Graph:
    """A new graph holding every triple of the ontology files; callers may modify it."""
    return _load(ONTOLOGY_FILES)


def shapes_graph() -> Graph:
    """A new graph holding the SHACL shapes; callers may modify it."""
    return _load(SHAPES_FILES)


class ShapesReport:
    """The outcome of a SHACL validation: ``conforms``, the pySHACL ``results_graph`` and ``text``."""

    def __init__(self, conforms: bool, results_graph: Graph, text: str):
        self.conforms = conforms
        self.results_graph = results_graph
        self.text = text

    def messages(self) -> list[str]:
        """One line per violation or warning: severity, focus node, path, message."""
        from rdflib.namespace import SH
        lines = []
        for result in self.results_graph.subjects(RDF_TYPE, SH.ValidationResult):
            severity = self.results_graph.value(result, SH.resultSeverity)
            focus = self.results_graph.value(result, SH.focusNode)
            path = self.results_graph.value(result, SH.resultPath)
            messages = sorted(self.results_graph.objects(result, SH.resultMessage),
                              key=lambda m: (getattr(m, "language", None) != "en", str(m)))
            message = messages[0] if messages else None
            lines.append(f"{str(severity).rsplit('#', 1)[-1]}: {focus} {path or ''} {message or ''}".strip())
        return sorted(lines)


def validate_shapes(data: Graph, *, with_ontology: bool = True) -> ShapesReport:
    """Validate a knowledge graph against the SHACL shapes (pySHACL).

    The ontology is mixed into (a copy of) the data graph, because shapes look up which
    scheme a concept belongs to and which classes are actors. Warnings do not make the
    data non-conforming; violations do.
    """
    import pyshacl

    if with_ontology:
        # Mix the ontology in by a plain union: pySHACL's own ont_graph "inoculation" deep-clones
        # every node and is orders of magnitude slower on a SKOS-linked ontology.
        combined = ontology_graph()
        for triple in data:
            combined.add(triple)
        data = combined
    conforms, results_graph, text = pyshacl.validate(
        data,
        shacl_graph=shapes_graph(),
        ont_graph=None,
        inference="none",
        abort_on_first=False,
        allow_warnings=True,
        advanced=True,
    )
    if not isinstance(results_graph, Graph):  # pySHACL reports a broken shapes graph this way
        raise RuntimeError(f"SHACL validation failed to run: {results_graph}")
    return ShapesReport(bool(conforms), results_graph, text)


__all__ = ["ONTOLOGY_IRI", "ONTOLOGY_FILES", "SHAPES_FILES", "ShapesReport", "ontology_graph", "shapes_graph",
           "validate_shapes"]
