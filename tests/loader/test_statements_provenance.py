"""Every statement of the statements graph cites its clause and exact words, verifiably."""
from __future__ import annotations

import re

import pytest
from rdflib import BNode, URIRef
from rdflib.namespace import OWL, PROV, RDF, RDFS

from policykg.loader.annotations import load_annotations
from policykg.loader.dataset import build
from policykg.ontology.namespaces import OA, PKG



@pytest.fixture(scope="module")
def statements(built):
    return built.graphs["statements"]


def _statement_nodes(g):
    return sorted(set(g.subjects(RDF.type, PKG.PolicyStatement)) | set(g.subjects(RDF.type, PKG.RelationStatement))
                  | set(g.subjects(RDF.type, PKG.Norm)))


def _selectors(g, node):
    target = g.value(node, OA.hasTarget)
    assert target is not None and not isinstance(target, BNode), f"{node} has no IRI target"
    assert target == URIRef(f"{node}#target")
    quote = position = None
    for sel in g.objects(target, OA.hasSelector):
        if (sel, RDF.type, OA.TextQuoteSelector) in g:
            quote = sel
        if (sel, RDF.type, OA.TextPositionSelector) in g:
            position = sel
    assert quote is not None and position is not None, f"{node} lacks a quote or position selector"
    return target, quote, position


def test_every_statement_quote_equals_the_text_at_its_offsets(statements, document):
    nodes = _statement_nodes(statements)
    assert len(nodes) > 150
    for node in nodes:
        target, quote, position = _selectors(statements, node)
        assert statements.value(target, OA.hasSource) == URIRef(document.expression_iri)
        start = int(statements.value(position, OA.start))
        end = int(statements.value(position, OA.end))
        exact = str(statements.value(quote, OA.exact))
        assert document.text[start:end] == exact, node
        prefix = str(statements.value(quote, OA.prefix))
        suffix = str(statements.value(quote, OA.suffix))
        assert document.text[:start].endswith(prefix) and document.text[end:].startswith(suffix)


def test_every_statement_is_derived_from_the_clause_that_contains_its_quote(statements, document):
    for node in _statement_nodes(statements):
        clauses = list(statements.objects(node, PROV.wasDerivedFrom))
        assert len(clauses) == 1, node
        unit = document.unit_by_iri(str(clauses[0]))
        _, _, position = _selectors(statements, node)
        start, end = int(statements.value(position, OA.start)), int(statements.value(position, OA.end))
        assert unit.start <= start < end <= unit.end, node
        # ... and the quote occurs exactly once in that clause (the loader's refusal rule)
        exact = document.text[start:end]
        assert unit.text.count(exact) == 1, node


def test_every_article_is_the_source_of_at_least_one_statement(statements, document):
    cited = {document.unit_by_iri(str(c)).path for c in statements.objects(None, PROV.wasDerivedFrom)
             if str(c).startswith(document.iri + "/")}
    articles = {re.sub(r"/item/\d+$", "", p) for p in cited if p.startswith("art/")}
    assert articles == {f"art/{n}" for n in range(1, 23)}


def test_article_4_lists_six_duties_as_six_norms_one_per_item(statements, document):
    per_item = {}
    for n in range(1, 7):
        clause = URIRef(document.unit(f"art/4/item/{n}").iri)
        norms = [s for s in statements.subjects(PROV.wasDerivedFrom, clause) if (s, RDF.type, PKG.Norm) in statements]
        per_item[n] = norms
        assert len(norms) == 1, f"item {n}: {norms}"
        assert (norms[0], PKG.bearer, PKG.CommunityPartyOrganization) in statements
        assert (norms[0], RDF.type, PKG.Obligation) in statements
    assert len({v[0] for v in per_item.values()}) == 6


def test_relation_statements_keep_the_plain_triple_visible(statements):
    rels = list(statements.subjects(RDF.type, PKG.RelationStatement))
    assert len(rels) > 30   # the asserted ones; relations the text only implies are in the interpretation graph
    for r in rels:
        s, p, o = (statements.value(r, x) for x in (RDF.subject, RDF.predicate, RDF.object))
        assert (s, p, o) in statements, r
        assert (r, RDF.type, RDF.Statement) in statements


def test_norms_are_typed_by_their_modality_and_markers_are_in_the_quote(statements):
    norms = list(statements.subjects(RDF.type, PKG.Norm))
    assert len(norms) > 120
    for n in norms:
        modality = statements.value(n, PKG.modality)
        assert (n, RDF.type, modality) in statements
        assert list(statements.objects(n, PKG.bearer)), n
        marker = statements.value(n, PKG.modalMarker)
        if marker is not None:
            _, quote, _ = _selectors(statements, n)
            assert str(marker) in str(statements.value(quote, OA.exact))


def test_modality_follows_the_modal_words():
    ann = load_annotations()
    expected = {"必须": "StrictObligation", "均须": "StrictObligation", "原则上": "ObligationInPrinciple",
                "可以": "Permission", "提倡": "Recommendation", "鼓励": "Recommendation",
                "要": "Obligation", "应": "Obligation", "应该": "Obligation"}
    seen = set()
    for s in ann.statements:
        if s.marker in expected:
            assert s.modality == expected[s.marker], s.id
            seen.add(s.marker)
    assert seen == set(expected)


def test_no_blank_nodes_in_the_statements_and_background_graphs(built):
    """Statements, selectors, constraints, dates are IRIs. The only blank nodes are the OWL
    restrictions of the inheritance axioms (OWL 2 DL wants class expressions anonymous): each is
    exactly `[ a owl:Restriction ; owl:onProperty p ; owl:someValuesFrom C ]` under one class."""
    for triple in built.graphs["background"]:
        assert not any(isinstance(t, BNode) for t in triple), ("background", triple)
    g = built.graphs["statements"]
    restrictions = set()
    for s, p, o in g:
        if isinstance(s, BNode):
            restrictions.add(s)
        elif isinstance(o, BNode):
            assert p == RDFS.subClassOf and isinstance(s, URIRef), (s, p, o)
        assert not isinstance(p, BNode)
    assert restrictions
    for node in restrictions:
        assert {p for p, _ in g.predicate_objects(node)} == {RDF.type, OWL.onProperty, OWL.someValuesFrom}
        assert len(list(g.predicate_objects(node))) == 3, node
        assert g.value(node, RDF.type) == OWL.Restriction
        assert len(list(g.subjects(RDFS.subClassOf, node))) == 1, node


def test_practices_are_skos_concepts_anchored_in_their_clauses(statements, document):
    practices = list(statements.subjects(RDF.type, PKG.Practice))
    assert len(practices) >= 40
    names = {str(l) for p in practices for l in statements.objects(p, URIRef("http://www.w3.org/2004/02/skos/core#prefLabel"))}
    for name in ("公推直选", "无候选人民主直选", "一肩挑", "三会一课", "民主评议党员制度", "四议两公开", "民主恳谈",
                 "党群议事", "勤廉双述", "温暖计划", "大工委制", "兼职委员制", "双重管理", "一站式便民服务",
                 "权随责走、费随事转", "一区多居", "专干不单干、分工不分家", "双向述职", "社区工作准入制度", "统筹共建",
                 "先锋街道", "先锋社区"):
        assert name in names, name
    for p in practices:
        assert str(p).startswith("https://w3id.org/policykg/id/practice/")
        clause = statements.value(p, PKG.definedInClause)
        unit = document.unit_by_iri(str(clause))
        _, quote, position = _selectors(statements, p)
        start, end = int(statements.value(position, OA.start)), int(statements.value(position, OA.end))
        assert unit.start <= start and end <= unit.end
        assert document.text[start:end] == str(statements.value(quote, OA.exact))


@pytest.mark.slow
def test_statements_graph_is_deterministic():
    a, b = build().graphs["statements"], build().graphs["statements"]
    assert sorted(a) == sorted(b)
