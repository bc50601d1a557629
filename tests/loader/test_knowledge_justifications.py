"""Every triple of …/graph/inferred carries its justification (issue 14): a node reifying it that
names the OWL 2 RL rule and links (prov:wasDerivedFrom) to the asserted statements and the axiom
terms it follows from, so an inferred chain edge can be cited down to its clauses."""
from __future__ import annotations

from rdflib import URIRef
from rdflib.namespace import PROV, RDF

from policykg.ontology.namespaces import PKG

DOC = "https://w3id.org/policykg/id/doc/suzhou-2011-community-party-building/"


def _nodes(g):
    return {n for n in g.subjects(PKG.inferenceRule, None)}


def test_every_inferred_triple_has_one_justification(built):
    g = built.graphs["inferred"]
    nodes = _nodes(g)
    justified = {}
    for n in nodes:
        triple = (g.value(n, RDF.subject), g.value(n, RDF.predicate), g.value(n, RDF.object))
        assert triple not in justified, triple
        justified[triple] = n
        assert str(g.value(n, PKG.inferenceRule)).strip()
        assert set(g.objects(n, PROV.wasDerivedFrom)), triple
    inferred = {t for t in g if t[0] not in nodes}
    assert inferred and set(justified) == inferred


def test_sources_are_statements_units_or_ontology_terms(built):
    g, onto = built.graphs["inferred"], built.graphs["ontology"]
    known = set(built.graphs["statements"].subjects()) | set(built.graphs["document"].subjects()) | set(onto.subjects())
    for n in _nodes(g):
        for src in g.objects(n, PROV.wasDerivedFrom):
            assert src in known, (n, src)


def test_a_chain_edge_is_cited_down_to_its_clauses(built):
    g, asserted = built.graphs["inferred"], built.graphs["statements"]
    node = next(n for n in g.subjects(RDF.predicate, PKG.delegatesResponsibilityTo)
                if g.value(n, RDF.subject) == PKG.DistrictPartySecretary
                and g.value(n, RDF.object) == PKG.SubdistrictPartySecretary)
    assert str(g.value(node, PKG.inferenceRule)) == "prp-spo2"
    sources = set(g.objects(node, PROV.wasDerivedFrom))
    statements = {s for s in sources if str(s).startswith(DOC + "statement/")}
    assert {str(s).rsplit("/", 1)[-1] for s in statements} == {
        "a20-district-secretary-first-responsible", "a20-subdistrict-secretary-direct-responsible"}
    assert PKG.delegatesResponsibilityTo in sources          # the property-chain axiom
    for s in statements:
        assert (s, PROV.wasDerivedFrom, URIRef(DOC + "art/20")) in asserted


def test_inferences_never_rest_on_readings(built):
    g, interp = built.graphs["inferred"], built.graphs["interpretation"]
    readings = set(interp.subjects(RDF.type, PKG.Interpretation))
    for n in _nodes(g):
        assert not (set(g.objects(n, PROV.wasDerivedFrom)) & readings)
