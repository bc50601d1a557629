"""Integration: the bundled policy's knowledge graph, as the loader builds it with this ontology,
is OWL 2 DL consistent for HermiT (punned type-level statements included) and conforms to the
shapes; the documented chain query answers on it."""
from __future__ import annotations

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import SKOS

from ontology_support import pkg
from policykg.loader.dataset import build
from policykg.ontology.namespaces import PKG, PKG_URI
from policykg.ontology.reasoner import ReasonerUnavailable, check_graph, find_java


@pytest.fixture(scope="module")
def graphs() -> dict[str, Graph]:
    built = build()
    assert {"ontology", "document", "statements", "background", "inferred"} <= built.graphs.keys()
    return built.graphs


def _union(graphs, names) -> Graph:
    union = Graph()
    for name in names:
        for triple in graphs.get(name, ()):
            union.add(triple)
    return union


@pytest.mark.java
def test_hermit_finds_the_knowledge_graph_consistent(graphs):
    try:
        find_java()
    except ReasonerUnavailable as exc:
        pytest.skip(f"HermiT needs Java: {exc}")
    report = check_graph(_union(graphs, ("ontology", "document", "statements", "background", "inferred")))
    assert report.error is None, report.error
    assert report.consistent and report.unsatisfiable == [], report.summary()


def test_statements_use_only_defined_relation_and_norm_terms(graphs):
    for s, p, o in graphs["statements"]:
        for node in (s, p, o):
            if isinstance(node, URIRef) and str(node).startswith(PKG_URI):
                assert node in PKG, node


def test_documented_chain_query_answers_on_the_built_graph(graphs):
    examples = [str(e) for e in graphs["ontology"].objects(pkg("responsibilityFlowsTo"), SKOS.example)]
    concrete = next(q for q in examples if "pkg:heads" in q)
    union = _union(graphs, ("ontology", "statements", "inferred"))
    found = {row[0] for row in union.query(concrete)}
    # Art. 20 + art. 8: the district secretary's responsibility reaches the subdistrict secretary and the
    # community Party secretary (who reports to the subdistrict working committee).
    assert pkg("SubdistrictPartySecretary") in found
    assert pkg("CommunityPartySecretary") in found
    # The chain goes down only: nothing above the first responsible person is reached.
    assert pkg("MunicipalPartyCommittee") not in found
