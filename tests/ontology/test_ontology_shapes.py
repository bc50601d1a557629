"""pySHACL: the shapes accept a small sample of good statements and reject broken ones with the
violation that names the problem."""
from __future__ import annotations

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDFS

from ontology_support import GOOD_STATEMENTS, PREFIXES, parse, pkg
from policykg.ontology import SHAPES_FILES, shapes_graph, validate_shapes
from policykg.ontology.namespaces import OA, ODRL, PROV

XSD_STRING = URIRef("http://www.w3.org/2001/XMLSchema#string")
XSD_DECIMAL = URIRef("http://www.w3.org/2001/XMLSchema#decimal")
ST = "https://w3id.org/policykg/id/doc/suzhou-2011-community-party-building/statement/"
N1, C1, POS, R1 = (URIRef(ST + s) for s in ("n1", "n1#c1", "n1#position", "r1"))


@pytest.fixture(scope="module")
def good() -> Graph:
    return parse(GOOD_STATEMENTS)


def _mutated(good: Graph, remove=(), add=()) -> Graph:
    graph = Graph()
    for triple in good:
        graph.add(triple)
    for triple in remove:
        graph.remove(triple)
    for triple in add:
        graph.add(triple)
    return graph


def test_shapes_file_is_separate_from_the_vocabulary():
    assert [p.name for p in SHAPES_FILES] == ["shapes.ttl"]
    assert len(shapes_graph()) > 100


def test_good_sample_conforms(good):
    report = validate_shapes(good)
    assert report.conforms, report.text
    assert report.messages() == []


@pytest.mark.parametrize("case, remove, add, expected", [
    ("missing bearer", [(N1, pkg("bearer"), None)], [], "pkg:bearer"),
    ("missing unit", [(C1, ODRL.unit, None)], [], "odrl:unit"),
    ("unit outside UnitScheme", [(C1, ODRL.unit, None)], [(C1, ODRL.unit, pkg("periodYear"))], "odrl:unit"),
    ("non-decimal right operand", [(C1, ODRL.rightOperand, None)],
     [(C1, ODRL.rightOperand, Literal("150", datatype=XSD_STRING))], "xsd:decimal"),
    ("unknown operator", [(C1, ODRL.operator, None)], [(C1, ODRL.operator, pkg("unitYuan"))], "odrl:operator"),
    ("two modalities", [], [(N1, pkg("modality"), pkg("StrictObligation"))], "exactly one pkg:modality"),
    ("modality that is not deontic", [(N1, pkg("modality"), None)], [(N1, pkg("modality"), pkg("topicFunding"))],
     "deontic"),
    ("type disagrees with modality", [(N1, pkg("modality"), None)], [(N1, pkg("modality"), pkg("Permission"))],
     "deontic class"),
    ("missing source clause", [(N1, PROV.wasDerivedFrom, None)], [], "prov:wasDerivedFrom"),
    ("missing target", [(N1, OA.hasTarget, None)], [], "oa:hasTarget"),
    ("action outside ActionScheme", [(N1, pkg("action"), None)], [(N1, pkg("action"), pkg("topicFunding"))],
     "ActionScheme"),
    ("start after end", [(POS, OA.start, None)], [(POS, OA.start, Literal(5000))], "oa:start"),
    ("negative start", [(POS, OA.start, None)], [(POS, OA.start, Literal(-1))], "oa:start"),
    ("decimal start", [(POS, OA.start, None)], [(POS, OA.start, Literal("4.5", datatype=XSD_DECIMAL))], "oa:start"),
    ("relation without its plain triple",
     [(pkg("CommunityPartyOrganization"), pkg("leadsAndGuides"), pkg("ResidentsCommittee"))], [], "plain triple"),
    ("relation without object", [(R1, URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#object"), None)], [],
     "rdf:object"),
])
def test_broken_statements_are_rejected(good, case, remove, add, expected):
    report = validate_shapes(_mutated(good, remove, add))
    assert not report.conforms, case
    assert any(expected in line and line.startswith("Violation") for line in report.messages()), report.messages()


def test_actor_class_without_english_label_is_rejected():
    data = parse(PREFIXES + 'pkg:NewCommittee a owl:Class ; rdfs:subClassOf pkg:ResidentsCommittee ; '
                            'rdfs:label "新委员会"@zh .')
    report = validate_shapes(data)
    assert not report.conforms
    assert any("NewCommittee" in line and "zh and one in en" in line for line in report.messages())


def test_actor_instance_needs_a_chinese_label():
    data = parse(PREFIXES + '<https://w3id.org/policykg/id/agent/x> a pkg:ResidentsCommittee ; rdfs:label "X"@en .')
    report = validate_shapes(data)
    assert not report.conforms
    data.add((URIRef("https://w3id.org/policykg/id/agent/x"), RDFS.label, Literal("某居委会", lang="zh")))
    assert validate_shapes(data).conforms


def test_missing_english_label_is_only_a_warning(good):
    graph = _mutated(good, remove=[(N1, RDFS.label, Literal("Activity funds of at least 150 yuan per member per year",
                                                               lang="en"))])
    report = validate_shapes(graph)
    assert report.conforms
    assert any(line.startswith("Warning") for line in report.messages())
