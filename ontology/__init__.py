"""policykg.ontology: the OWL 2 DL vocabulary, its SKOS schemes and SHACL shapes.

``ONTOLOGY_FILES`` are the Turtle files that define the vocabulary (everything in
this folder except ``shapes*.ttl``); ``SHAPES_FILES`` are the SHACL shapes that
check a knowledge graph written in it. ``ontology_graph()`` returns a fresh
rdflib graph of the whole ontology (the dataset's ``…/graph/ontology``).
"""
from __future__ import annotations

from pathlib import Path

from rdflib import Graph

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


def ontology_graph() -> Graph:
    """A new graph holding every triple of the ontology files (no blank nodes)."""
    graph = _bind(Graph())
    for path in ONTOLOGY_FILES:
        graph.parse(path, format="turtle")
    return graph


def shapes_graph() -> Graph:
    """A new graph holding the SHACL shapes."""
    graph = _bind(Graph())
    for path in SHAPES_FILES:
        graph.parse(path, format="turtle")
    return graph


__all__ = ["ONTOLOGY_IRI", "ONTOLOGY_FILES", "SHAPES_FILES", "ontology_graph", "shapes_graph"]
