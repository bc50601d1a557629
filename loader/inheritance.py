"""Instances inherit what the policy says of their kind: ``S ⊑ ∃ p . O`` axioms for the relations
between ontology classes that hold for every member (see ontology/README.md, "Instances inherit").

A statement's plain triple stays the query surface; these axioms let a reasoner (HermiT) give a
register's organizations the relations of their kind.
"""
from __future__ import annotations

import hashlib

from rdflib import BNode, Graph, URIRef
from rdflib.namespace import OWL, RDF, RDFS

from policykg.ontology import ontology_graph
from policykg.ontology.namespaces import PKG

# Modalities under which a type-level relation holds for every member of the subject class, so
# that it may be stated as `Subject ⊑ ∃ predicate . Object`. Left out, with their reason:
# Permission (可以: the policy allows it, e.g. a community Party organization *may* take the form
# of a Party committee *or* of a general branch — alternatives, not both), Recommendation
# (提倡/鼓励: encouraged, not required), ObligationInPrinciple (原则上: admits exceptions, so not
# every member) and Prohibition (不得: the relation must not hold). No modality means the text
# states a fact or a definition (e.g. the secretary heads the organization), which holds for all.
INHERITED_MODALITIES = frozenset({None, "Obligation", "StrictObligation"})


def ontology_classes() -> frozenset:
    """IRIs typed owl:Class in the ontology files (parsed once per file change by the ontology module)."""
    return frozenset(c for c in ontology_graph().subjects(RDF.type, OWL.Class) if isinstance(c, URIRef))


def restriction_node(subj: URIRef, pred: URIRef, obj: URIRef) -> BNode:
    """The blank node of ``∃ pred . obj`` under ``subj``: its label is a hash of the three IRIs, so
    in-memory graphs are reproducible too (the written dataset is canonicalised anyway)."""
    digest = hashlib.sha1(f"{subj} {pred} {obj}".encode("utf-8")).hexdigest()[:20]
    return BNode(f"restriction{digest}")


def inheritance_axioms(g: Graph, classes: frozenset) -> int:
    """Add ``S rdfs:subClassOf [ a owl:Restriction ; owl:onProperty p ; owl:someValuesFrom O ]``
    for every relation statement of ``g`` whose subject and object are classes of the ontology and
    whose modality holds for every member (INHERITED_MODALITIES). Returns the number of axioms.

    Symmetric properties (coordinatesWith, correspondsTo) are kept: an existential restriction on
    them is OWL 2 DL (only cardinality and self restrictions need simple properties), and "every
    community Party organization coordinates with some residents' committee" is what the text says.
    Relations to individuals (a task, a named district, a coordination mechanism) are not between
    classes and stay plain triples; an instance graph links to those individuals directly.
    """
    axioms = set()
    for stmt in g.subjects(RDF.type, PKG.RelationStatement):
        subj, pred, obj = g.value(stmt, RDF.subject), g.value(stmt, RDF.predicate), g.value(stmt, RDF.object)
        if subj not in classes or obj not in classes:
            continue
        modality = g.value(stmt, PKG.modality)
        if (str(modality)[len(str(PKG)):] if modality is not None else None) not in INHERITED_MODALITIES:
            continue
        axioms.add((subj, pred, obj))
    for subj, pred, obj in axioms:
        node = restriction_node(subj, pred, obj)
        g.add((subj, RDFS.subClassOf, node))
        g.add((node, RDF.type, OWL.Restriction))
        g.add((node, OWL.onProperty, pred))
        g.add((node, OWL.someValuesFrom, obj))
    return len(axioms)
