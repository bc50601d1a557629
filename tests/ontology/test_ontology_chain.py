"""The responsibility-chain queries documented in the ontology (skos:example of
pkg:responsibilityFlowsTo) return the chain on a small test graph: over the asserted concrete
relations (rdflib and pyoxigraph) and over pkg:responsibilityFlowsTo+ after an OWL RL reasoner."""
from __future__ import annotations

import owlrl
import pyoxigraph as ox
import pytest
from rdflib import BNode, Graph, URIRef
from rdflib.namespace import SKOS

from ontology_support import PUNNED_SAMPLE, TASK, ontology_plus, pkg
from policykg.ontology import ontology_graph

# From the district Party secretary (art. 20) down to a community Party branch and its members.
EXPECTED_CHAIN = {pkg(n) for n in (
    "SubdistrictPartySecretary", "SubdistrictPartyWorkingCommittee", "CommunityPartySecretary",
    "CommunityPartyOrganization", "CommunityGeneralPartyBranch", "CommunityPartyCommittee", "CommunityPartyBranch",
    "CommunityRegisteredPartyMember")} | {URIRef(TASK)}
# Reached only by relations that do not pass responsibility down, or not at all.
NOT_IN_CHAIN = {pkg(n) for n in ("DistrictPartySecretary", "HomeownersCommittee", "UnitInArea", "DistrictFinance",
                                 "MunicipalFinance", "PartyLeadingCadre", "CoordinationMechanism")}


@pytest.fixture(scope="module")
def queries() -> tuple[str, str]:
    examples = sorted(str(e) for e in ontology_graph().objects(pkg("responsibilityFlowsTo"), SKOS.example))
    transitive = [q for q in examples if "pkg:responsibilityFlowsTo+ ?x" in q]
    concrete = [q for q in examples if "pkg:heads" in q]
    assert len(transitive) == 1 and len(concrete) == 1, examples
    return transitive[0], concrete[0]


@pytest.fixture(scope="module")
def asserted() -> Graph:
    return ontology_plus(PUNNED_SAMPLE)


@pytest.fixture(scope="module")
def materialised(asserted) -> Graph:
    graph = Graph()
    for triple in asserted:
        graph.add(triple)
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics, axiomatic_triples=False, datatype_axioms=False).expand(graph)
    return graph


def _rdflib(graph: Graph, query: str) -> set:
    return {row[0] for row in graph.query(query)}


def _oxigraph(graph: Graph, query: str) -> set:
    store = ox.Store()
    clean = Graph()
    for s, p, o in graph:  # OWL RL closure adds generalised triples (literal subjects) that RDF forbids
        if isinstance(s, (URIRef, BNode)):
            clean.add((s, p, o))
    store.load(clean.serialize(format="nt").encode("utf-8"), format=ox.RdfFormat.N_TRIPLES)
    return {URIRef(solution["x"].value) for solution in store.query(query)}


def _check(found: set) -> None:
    assert EXPECTED_CHAIN <= found, EXPECTED_CHAIN - found
    assert not (found & NOT_IN_CHAIN), found & NOT_IN_CHAIN


def test_concrete_relation_path_rdflib(asserted, queries):
    _check(_rdflib(asserted, queries[1]))


def test_concrete_relation_path_pyoxigraph(asserted, queries):
    found = _oxigraph(asserted, queries[1])
    _check(found)
    assert found == _rdflib(asserted, queries[1])


@pytest.mark.slow
def test_transitive_property_needs_no_concrete_relations_after_reasoning(asserted, materialised, queries):
    # Asserted triples alone have no pkg:responsibilityFlowsTo: the ontology states no chain itself.
    assert _rdflib(asserted, queries[0]) == set()
    found = _rdflib(materialised, queries[0])
    _check(found)
    assert found == _oxigraph(materialised, queries[0])
    assert found == _rdflib(asserted, queries[1])  # both documented queries agree


def test_property_chain_axiom_links_first_to_direct_responsible_person(materialised):
    assert (pkg("DistrictPartySecretary"), pkg("delegatesResponsibilityTo"), pkg("SubdistrictPartySecretary")) \
        in materialised


def test_chain_stops_where_the_policy_states_nothing(asserted, queries):
    # Without the 述职 link of art. 8 the subdistrict committee does not reach the community organization:
    # the chain follows stated links only (no "subdistrict committee leads the community organization").
    graph = Graph()
    for triple in asserted:
        graph.add(triple)
    graph.remove((pkg("CommunityPartySecretary"), pkg("reportsTo"), pkg("SubdistrictPartyWorkingCommittee")))
    found = _rdflib(graph, queries[1])
    assert pkg("SubdistrictPartyWorkingCommittee") in found
    assert pkg("CommunityPartyOrganization") not in found and pkg("CommunityPartyBranch") not in found
