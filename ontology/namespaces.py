"""The one module through which code reaches vocabulary terms.

Standard vocabularies are plain rdflib namespaces. The project's own vocabulary,
``PKG``, is a *closed* namespace whose terms are read from the ontology's Turtle
files at import time, so code can only use terms the ontology defines: a typo or
an undefined term fails loudly (AttributeError) instead of minting a new IRI.
"""
from __future__ import annotations

from pathlib import Path

from rdflib import Namespace, URIRef
from rdflib.namespace import (DCTERMS, FOAF, OWL, PROV, RDF, RDFS, SKOS, TIME, VANN, XSD,
                              ClosedNamespace)

ONTOLOGY_DIR = Path(__file__).resolve().parent
# The vocabulary namespace is fixed: vocabularies outlive deployments. Instance
# IRIs are minted from the configurable base (see policykg.iris).
PKG_URI = "https://w3id.org/policykg/def/"

ELI = Namespace("http://data.europa.eu/eli/ontology#")
ORG = Namespace("http://www.w3.org/ns/org#")
OA = Namespace("http://www.w3.org/ns/oa#")
ODRL = Namespace("http://www.w3.org/ns/odrl/2/")
SH = Namespace("http://www.w3.org/ns/shacl#")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
VOID = Namespace("http://rdfs.org/ns/void#")
# The columns of the registers users load (communities, workers; policykg.compliance.columns defines them
# and which quantity of this vocabulary each measures). Register data never enters the policy's graphs.
REG = Namespace(PKG_URI + "register/")


def _vocabulary_terms() -> list[str]:
    """Local names of every term the ontology files define in the PKG namespace.

    Read with pyoxigraph's parser, not rdflib's: every process imports this module, and
    rdflib took ~0.13 s of each server process's start for these files."""
    import pyoxigraph as ox

    rdf_type = ox.NamedNode(str(RDF.type))
    terms = set()
    for path in sorted(ONTOLOGY_DIR.glob("*.ttl")):
        if path.name.startswith("shapes"):
            continue  # shapes use the vocabulary, they do not define it
        for triple in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE):
            subject = triple.subject
            if triple.predicate == rdf_type and isinstance(subject, ox.NamedNode) \
                    and subject.value.startswith(PKG_URI):
                terms.add(subject.value[len(PKG_URI):])
    return sorted(terms)


class VocabularyNamespace(ClosedNamespace):
    """A closed namespace that iterates over its terms (``list(PKG)``, ``len(list(PKG))``), in
    agreement with ``term in PKG``. Everything else behaves as rdflib's ClosedNamespace (and as a
    ``str``: ``len(PKG)`` stays the length of the namespace IRI)."""

    def __iter__(self):
        return iter(sorted(self[name] for name in dir(self)))


PKG_TERMS: tuple[str, ...] = tuple(_vocabulary_terms())
PKG = VocabularyNamespace(PKG_URI, list(PKG_TERMS))

# The bundled policy's IRI under the default base (policykg.iris.doc_iri, spelt out to keep this
# module free of imports from the rest of the package).
BUNDLED_DOC = "https://w3id.org/policykg/id/doc/suzhou-2011-community-party-building"

# Prefixes used in every serialisation, query and page, in one place.
PREFIXES: dict[str, str] = {
    "pkg": PKG_URI,
    "eli": str(ELI),
    "org": str(ORG),
    "oa": str(OA),
    "odrl": str(ODRL),
    "prov": str(PROV),
    "skos": str(SKOS),
    "dcterms": str(DCTERMS),
    "foaf": str(FOAF),
    "owl": str(OWL),
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "time": str(TIME),
    "vann": str(VANN),
    "xsd": str(XSD),
    "sh": str(SH),
    "sd": str(SD),
    "void": str(VOID),
    # The bundled policy's units and statements, so that clause IRIs are valid prefixed names in
    # SPARQL and Turtle (art:5, art:4\/item\/3 or unit:art\/4\/item\/3, unit:preamble, stmt:a05-…);
    # minted under the default base (a deployment with another base declares its own).
    "art": f"{BUNDLED_DOC}/art/",
    "unit": f"{BUNDLED_DOC}/",
    "stmt": f"{BUNDLED_DOC}/statement/",
}


def sparql_prologue(names: list[str] | None = None) -> str:
    """PREFIX lines for the given prefixes (all of them by default)."""
    chosen = PREFIXES if names is None else {n: PREFIXES[n] for n in names}
    return "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in chosen.items())


def turtle_prologue(names: list[str] | None = None) -> str:
    """@prefix lines (Turtle, TriG) for the given prefixes (all of them by default)."""
    chosen = PREFIXES if names is None else {n: PREFIXES[n] for n in names}
    return "".join(f"@prefix {p}: <{iri}> .\n" for p, iri in chosen.items())
