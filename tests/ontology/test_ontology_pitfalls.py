"""The common ontology pitfalls (OOPS!-style) are absent: untyped or unconnected terms, missing labels,
object properties without domain or range, undeclared inverses, no licence; plus the known traps of
the issue (W3C ORG semantics, no LKIF, no imports)."""
from __future__ import annotations

import pytest
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS, VANN

from ontology_support import own_classes, own_terms, pkg, superproperties
from policykg.ontology import ONTOLOGY_IRI, ontology_graph
from policykg.ontology.namespaces import ORG, PKG_URI

ONTO = URIRef(ONTOLOGY_IRI)


@pytest.fixture(scope="module")
def g():
    return ontology_graph()


def test_header_metadata_is_complete(g):
    assert (ONTO, RDF.type, OWL.Ontology) in g
    for prop in (DCTERMS.title, DCTERMS.description):
        langs = {o.language for o in g.objects(ONTO, prop)}
        assert {"zh", "en"} <= langs, prop
    for prop in (OWL.versionIRI, OWL.versionInfo, DCTERMS.creator, DCTERMS.created):
        assert g.value(ONTO, prop) is not None, prop
    assert str(g.value(ONTO, DCTERMS.license)).startswith("https://creativecommons.org/licenses/")
    assert str(g.value(ONTO, VANN.preferredNamespacePrefix)) == "pkg"
    assert str(g.value(ONTO, VANN.preferredNamespaceUri)) == PKG_URI


def test_imports_nothing_and_not_lkif(g):
    assert list(g.objects(None, OWL.imports)) == []
    # LKIF Core's norm module makes Obligation equivalent to Prohibition: no LKIF term is used.
    assert not any("lkif" in str(node).lower() for node in g.all_nodes() if isinstance(node, URIRef))


def test_every_pkg_iri_used_is_typed(g):
    typed = own_terms(g)
    used = {n for triple in g for n in triple if isinstance(n, URIRef) and str(n).startswith(PKG_URI)
            and str(n) != PKG_URI}
    # The version IRI is an IRI of the ontology, not a term.
    used.discard(g.value(ONTO, OWL.versionIRI))
    assert used - typed == set()


def test_every_term_has_one_kind(g):
    # A pkg IRI is not both an object and a datatype property, nor a property and a class.
    kinds = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty)
    for term in own_terms(g):
        declared = [k for k in kinds if (term, RDF.type, k) in g]
        assert len(declared) <= 1, (term, declared)


def test_no_unconnected_classes(g):
    # Every class has a named superclass or subclass, or is used as a domain or range.
    for cls in own_classes(g):
        connected = (any(isinstance(o, URIRef) for o in g.objects(cls, RDFS.subClassOf))
                     or any(g.subjects(RDFS.subClassOf, cls))
                     or any(g.subjects(RDFS.domain, cls)) or any(g.subjects(RDFS.range, cls)))
        assert connected, cls


def test_no_unconnected_concepts(g):
    for concept in own_terms(g, SKOS.Concept):
        assert g.value(concept, SKOS.inScheme) is not None, concept


def test_object_and_datatype_properties_have_domain_and_range(g):
    for rdf_type in (OWL.ObjectProperty, OWL.DatatypeProperty):
        for prop in own_terms(g, rdf_type):
            assert g.value(prop, RDFS.domain) is not None, f"{prop} has no domain"
            assert g.value(prop, RDFS.range) is not None, f"{prop} has no range"


def test_relation_properties_declare_inverses(g):
    # Relations between actors (under the two umbrella properties) are navigable both ways:
    # either symmetric or with a declared inverse.
    relations = [p for p in own_terms(g, OWL.ObjectProperty)
                 if superproperties(g, p) & {pkg("hasPolicyRelationTo"), pkg("hasPolicyRelationFrom"),
                                             pkg("responsibilityFlowsTo"), pkg("receivesResponsibilityFrom")}
                 or p in (pkg("hasPolicyRelationTo"), pkg("responsibilityFlowsTo"))]
    assert len(relations) > 40
    for prop in relations:
        has_inverse = (prop, OWL.inverseOf, None) in g or (None, OWL.inverseOf, prop) in g
        assert has_inverse or (prop, RDF.type, OWL.SymmetricProperty) in g, prop


def test_inverse_pairs_mirror_domain_and_range(g):
    for a, b in g.subject_objects(OWL.inverseOf):
        if str(a).startswith(PKG_URI):
            assert g.value(a, RDFS.domain) == g.value(b, RDFS.range), (a, b)
            assert g.value(a, RDFS.range) == g.value(b, RDFS.domain), (a, b)


def test_w3c_org_semantics_are_respected(g):
    transitive = {p for p in g.subjects(RDF.type, OWL.TransitiveProperty) if str(p).startswith(str(ORG))}
    assert transitive == {ORG.transitiveSubOrganizationOf}
    assert ORG.Organization not in set(g.transitive_objects(ORG.Post, RDFS.subClassOf))
    # Only terms of the current W3C ORG are declared (older drafts had misspelt ones).
    current = {"Organization", "OrganizationalUnit", "FormalOrganization", "Post", "Membership", "Role", "Site",
               "ChangeEvent", "OrganizationalCollaboration", "subOrganizationOf", "hasSubOrganization",
               "transitiveSubOrganizationOf", "hasUnit", "unitOf", "memberOf", "hasMember", "holds", "heldBy",
               "postIn", "hasPost", "headOf", "reportsTo", "member", "organization", "role", "hasMembership"}
    declared = {str(s)[len(str(ORG)):] for s in g.subjects(RDF.type, None) if str(s).startswith(str(ORG))}
    assert declared <= current, declared - current


def test_deontic_classes_are_structured_as_the_brief_says(g):
    for name in ("StrictObligation", "ObligationInPrinciple"):
        assert (pkg(name), RDFS.subClassOf, pkg("Obligation")) in g
    for name in ("Obligation", "Permission", "Recommendation", "Prohibition"):
        assert (pkg(name), RDFS.subClassOf, pkg("Norm")) in g
    assert (pkg("Norm"), RDFS.subClassOf, pkg("PolicyStatement")) in g
    assert (pkg("RelationStatement"), RDFS.subClassOf, RDF.Statement) in g
    assert (pkg("Obligation"), OWL.disjointWith, pkg("Prohibition")) in g


def test_responsibility_chain_is_transitive_and_fed_by_downward_relations(g):
    chain = pkg("responsibilityFlowsTo")
    assert (chain, RDF.type, OWL.TransitiveProperty) in g
    feeding = {p for p in own_terms(g, OWL.ObjectProperty) if chain in superproperties(g, p)}
    for name in ("isFirstResponsiblePersonFor", "isDirectResponsiblePersonFor", "hasDirectResponsiblePerson",
                 "receivesReportFrom", "heads", "setsUp", "leads", "leadsAndGuides", "isLeadershipCoreOf",
                 "hasForm", "jointlyManages", "incorporates", "delegatesResponsibilityTo"):
        assert pkg(name) in feeding, name
    # Upward or sideways relations do not feed the downward chain.
    for name in ("reportsTo", "hasFirstResponsiblePerson", "isLedBy", "coordinatesWith", "funds",
                 "supportsAndGuarantees", "heedsOpinionsOf", "letsDeliberateFirst"):
        assert pkg(name) not in feeding, name
    chain_axiom = g.value(pkg("delegatesResponsibilityTo"), OWL.propertyChainAxiom)
    assert isinstance(chain_axiom, BNode)
    assert list(g.items(chain_axiom)) == [pkg("isFirstResponsiblePersonFor"), pkg("hasDirectResponsiblePerson")]


def test_ontology_asserts_no_policy_facts(g):
    # The ontology defines relations; what the policy says between kinds lives in the statements graph.
    relations = {p for p in own_terms(g, OWL.ObjectProperty)}
    asserted = [(s, p, o) for s, p, o in g if p in relations]
    assert asserted == []


def test_coordination_and_correspondence_are_symmetric(g):
    for name in ("coordinatesWith", "correspondsTo"):
        assert (pkg(name), RDF.type, OWL.SymmetricProperty) in g


def test_no_literal_is_untagged_where_a_language_is_expected(g):
    for term in own_terms(g):
        for prop in (RDFS.label, SKOS.definition, SKOS.altLabel, SKOS.prefLabel):
            for value in g.objects(term, prop):
                assert isinstance(value, Literal) and value.language in ("zh", "en"), (term, prop, value)
