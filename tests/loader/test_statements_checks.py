"""The checks and the shapes of policykg.loader.statements, one annotation at a time: each test takes a bundled
statement, changes one thing, and builds the statements graph of the bundled document from it alone (no YAML
rewritten, no whole build), so the message, the offsets and the triples of that one thing are checked directly."""
from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, ORG, OWL, RDF, RDFS, SKOS, TIME, XSD

from policykg import iris
from policykg.loader.annotation_records import AnnotationError, Annotations, Constraint, DateSpec, DurationSpec
from policykg.loader.annotations import load_annotations
from policykg.loader.dataset import BUNDLED_SOURCE
from policykg.loader.parser import parse_document
import policykg.loader.statements as statements_module
from policykg.loader.statements import (IMPLIED_BEARER_REASON, background_graph, build_statements, list_heading,
                                        statements_graph)
from policykg.ontology.namespaces import OA, ODRL, PKG

BASE = "https://w3id.org/policykg/"
RELATION = "a05-cpo-leads-and-guides-rc"          # art. 5, 社区党组织要切实加强对社区居民委员会的领导和指导
MEETINGS = "a11-opinion-meetings-four-a-year"     # art. 11, one constraint: 每年召开4次以上
CERTIFICATE = "a08-certificate-by-2015"           # art. 8, a condition (45岁以下) and a deadline (到2015年)
TARGET = "a02-five-year-target"                   # art. 2, no bearer, a duration (5年左右)
MINIMUM = "a19-activity-funds-minimum-15000"      # art. 19, a constraint, a condition, a start, scope 原则上


@pytest.fixture(scope="module")
def document():
    return parse_document(BUNDLED_SOURCE)


@pytest.fixture(scope="module")
def bundled():
    return load_annotations()


@pytest.fixture(scope="module", autouse=True)
def ontology_once():
    """The statements module only reads the ontology's labels: parse it once for the whole file, not per build."""
    graph = statements_module.ontology_graph()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(statements_module, "ontology_graph", lambda: graph)
        yield


def _stmt(statement_id: str) -> URIRef:
    return URIRef(iris.statement_iri(BASE, "suzhou-2011-community-party-building", statement_id))


def _graphs(document, *statements, **more):
    return statements_graph(document, BASE, Annotations(statements=list(statements), **more))


def _changed(bundled, statement_id, **changes):
    return dataclasses.replace(bundled.statement(statement_id), **changes)


def _norm(bundled, statement_id, **changes):
    s = bundled.statement(statement_id)
    return dataclasses.replace(s, norm=dataclasses.replace(s.norm, **changes))


def _fails(document, statement, *words):
    with pytest.raises(AnnotationError) as error:
        _graphs(document, statement)
    text = str(error.value)
    for word in (statement.id, statement.file.name, *words):
        assert word in text, f"{word!r} not in {text!r}"
    return text


def _position(g, node):
    return int(g.value(URIRef(f"{node}#position"), OA.start)), int(g.value(URIRef(f"{node}#position"), OA.end))


# -- quotes ---------------------------------------------------------------------------------------------------

def test_a_quote_is_anchored_at_its_offsets_in_its_clause(document, bundled):
    s = bundled.statement(RELATION)
    g, _ = _graphs(document, s)
    start, end = _position(g, _stmt(RELATION))
    assert document.text[start:end] == s.quote
    unit = document.unit("art/5")
    assert unit.start <= start < end <= unit.end


def test_a_quote_may_end_where_its_clause_ends(document, bundled):
    unit = document.unit("art/5")
    quote = document.text[unit.end - 12:unit.end]
    assert document.text.count(quote) == 1
    g, _ = _graphs(document, _changed(bundled, RELATION, quote=quote, marker=None,
                                      named=(("CommunityPartyOrganization", quote), ("ResidentsCommittee", quote))))
    assert _position(g, _stmt(RELATION)) == (unit.end - 12, unit.end)


def test_a_quote_may_start_where_its_clause_starts(document, bundled):
    unit = document.unit("art/5")
    quote = document.text[unit.start:unit.start + 12]
    g, _ = _graphs(document, _changed(bundled, RELATION, quote=quote, marker=None,
                                      named=(("CommunityPartyOrganization", quote), ("ResidentsCommittee", quote))))
    assert _position(g, _stmt(RELATION)) == (unit.start, unit.start + 12)


def test_a_quote_outside_its_clause_is_refused(document, bundled):
    _fails(document, _changed(bundled, RELATION, clause="art/6"), "the quote is not in clause art/6")


def test_a_clause_that_does_not_exist_is_refused_with_the_forms_of_clause_paths(document, bundled):
    _fails(document, _changed(bundled, RELATION, clause="art/55"),
           "clause 'art/55' does not exist in suzhou-2011-community-party-building", "art/4/item/3")


@pytest.mark.parametrize("quote, times", [("社区工作站", 2), ("社区党组织要", 3)])
def test_a_quote_found_more_than_once_is_refused_with_its_count(document, bundled, quote, times):
    unit = document.unit("art/5")
    assert document.text[unit.start:unit.end].count(quote) == times
    _fails(document, _changed(bundled, RELATION, quote=quote), f"the quote occurs {times} times in clause art/5",
           "make it longer")


# -- modal words and roles ------------------------------------------------------------------------------------------

def test_the_modal_marker_and_modality_are_recorded(document, bundled):
    g, _ = _graphs(document, bundled.statement(RELATION))
    assert g.value(_stmt(RELATION), PKG.modalMarker) == Literal("要")
    assert g.value(_stmt(RELATION), PKG.modality) == PKG.Obligation


def test_a_modal_marker_not_in_the_quote_is_refused(document, bundled):
    _fails(document, _changed(bundled, RELATION, marker="必须"), "the modal marker '必须' is not in the quote")


def test_a_statement_without_marker_or_modality_records_neither(document, bundled):
    g, _ = _graphs(document, _changed(bundled, RELATION, marker=None, modality=None))
    assert g.value(_stmt(RELATION), PKG.modalMarker) is None
    assert g.value(_stmt(RELATION), PKG.modality) is None


def test_a_relation_stated_by_its_quote_is_in_the_statements_graph(document, bundled):
    g, interp = _graphs(document, bundled.statement(RELATION))
    stmt = _stmt(RELATION)
    assert (PKG.CommunityPartyOrganization, PKG.leadsAndGuides, PKG.ResidentsCommittee) in g
    assert {g.value(stmt, RDF.subject), g.value(stmt, RDF.object)} == {PKG.CommunityPartyOrganization,
                                                                      PKG.ResidentsCommittee}
    assert (stmt, RDF.type, PKG.RelationStatement) in g and len(interp) == 0


def test_a_relation_the_quote_does_not_state_is_a_reading_with_its_reason(document, bundled):
    s = _changed(bundled, RELATION, relation=dataclasses.replace(bundled.statement(RELATION).relation,
                                                                  object="SocialOrganization"),
                 reading="原因")
    g, interp = _graphs(document, s)
    stmt = _stmt(RELATION)
    assert (stmt, RDF.type, PKG.RelationStatement) in interp and (stmt, RDF.type, PKG.RelationStatement) not in g
    assert (stmt, PKG.interpretationReason, Literal("原因", lang="zh")) in interp
    assert (PKG.CommunityPartyOrganization, PKG.leadsAndGuides, PKG.SocialOrganization) in interp


def test_a_term_the_quote_does_not_name_needs_a_reason_naming_the_term(document, bundled):
    s = _changed(bundled, RELATION, relation=dataclasses.replace(bundled.statement(RELATION).relation,
                                                                  object="SocialOrganization"))
    _fails(document, s, "the quote does not name SocialOrganization", "reading:", "named:")


def test_the_note_is_reason_enough(document, bundled):
    s = _changed(bundled, RELATION, relation=dataclasses.replace(bundled.statement(RELATION).relation,
                                                                  object="SocialOrganization"), note="说明")
    _, interp = _graphs(document, s)
    assert (_stmt(RELATION), PKG.interpretationReason, Literal("说明", lang="zh")) in interp


def test_not_named_must_list_a_role_of_the_statement(document, bundled):
    _fails(document, _changed(bundled, RELATION, not_named=("SocialOrganization",), reading="…"),
           "not_named lists SocialOrganization, which is not a bearer, subject or object")


def test_a_relation_with_conditions_is_refused(document, bundled):
    condition = bundled.statement(CERTIFICATE).norm.conditions[0]
    _fails(document, _changed(bundled, RELATION, conditions=(condition,)), "conditions belong to norms")


def test_a_bearer_the_quote_names_is_stated(document, bundled):
    g, interp = _graphs(document, bundled.statement(MEETINGS))
    stmt = _stmt(MEETINGS)
    assert set(g.objects(stmt, PKG.bearer)) == {PKG.CommunityPartyOrganization}
    assert (stmt, RDF.type, PKG.Norm) in g and (stmt, RDF.type, PKG.Obligation) in g
    assert set(g.objects(stmt, PKG.topic)) == {PKG.topicMeetings, PKG.topicService}
    assert g.value(stmt, PKG.action) == PKG.actionHoldMeeting


def test_a_norm_without_bearer_is_read_as_addressed_to_the_party_committees(document, bundled):
    g, interp = _graphs(document, bundled.statement(TARGET))
    stmt = _stmt(TARGET)
    assert set(g.objects(stmt, PKG.bearer)) == {PKG.BearerNotStated}
    assert (stmt, PKG.bearer, PKG.PartyOrganization) in interp
    node = URIRef(f"{stmt}#reading-bearer-PartyOrganization")
    assert (node, PKG.interpretationReason, Literal(IMPLIED_BEARER_REASON, lang="zh")) in interp
    assert (node, RDF.subject, stmt) in interp and (node, RDF.object, PKG.PartyOrganization) in interp
    # The object the quote does not name is read too, for the annotation's own reason.
    task = URIRef(iris.thing_iri(BASE, "task", "urban-community-party-organization-building"))
    reading = URIRef(f"{stmt}#reading-normObject-urban-community-party-organization-building")
    assert (stmt, PKG.normObject, task) in interp
    assert (reading, PKG.interpretationReason, Literal(bundled.statement(TARGET).reading, lang="zh")) in interp


def test_a_bearer_the_quote_does_not_name_is_a_reading_for_the_given_reason(document, bundled):
    s = _norm(bundled, MEETINGS, bearer=("ResidentsCommittee",))
    s = dataclasses.replace(s, reading="读法")
    g, interp = _graphs(document, s)
    stmt = _stmt(MEETINGS)
    assert set(g.objects(stmt, PKG.bearer)) == {PKG.BearerNotStated}
    assert (stmt, PKG.bearer, PKG.ResidentsCommittee) in interp
    assert (stmt, PKG.bearer, PKG.PartyOrganization) not in interp
    node = URIRef(f"{stmt}#reading-bearer-ResidentsCommittee")
    assert (node, PKG.interpretationReason, Literal("读法", lang="zh")) in interp


# -- numbers, dates, durations --------------------------------------------------------------------------------------

def test_a_constraint_is_an_odrl_constraint_with_its_words(document, bundled):
    g, _ = _graphs(document, bundled.statement(MEETINGS))
    c1 = URIRef(f"{_stmt(MEETINGS)}#c1")
    assert g.value(_stmt(MEETINGS), PKG.hasConstraint) == c1
    assert (c1, RDF.type, ODRL.Constraint) in g and (c1, RDF.type, PKG.NumericConstraint) in g
    assert g.value(c1, ODRL.operator) == ODRL.gteq
    assert g.value(c1, ODRL.rightOperand) == Literal(Decimal("4"), datatype=XSD.decimal)
    assert g.value(c1, ODRL.unit) == PKG.unitTimes and g.value(c1, PKG.perPeriod) == PKG.periodYear
    assert g.value(c1, PKG.valueText) == Literal("每年召开4次以上")
    assert g.value(c1, PKG.perBasis) is None and g.value(c1, RDFS.comment) is None


def test_conditions_are_numbered_after_the_constraints(document, bundled):
    g, _ = _graphs(document, bundled.statement(MINIMUM))
    stmt = _stmt(MINIMUM)
    assert g.value(stmt, PKG.hasConstraint) == URIRef(f"{stmt}#c1")
    assert g.value(stmt, PKG.condition) == URIRef(f"{stmt}#c2")
    assert g.value(URIRef(f"{stmt}#c2"), ODRL.operator) == ODRL.lt
    assert g.value(URIRef(f"{stmt}#c2"), PKG.perBasis) == PKG.UrbanCommunity


def test_an_approximate_fraction_says_how_it_was_written(document, bundled):
    g, _ = _graphs(document, bundled.statement(TARGET), )
    assert g.value(URIRef(f"{_stmt(TARGET)}#c1"), ODRL.operator) == PKG.approximately
    s = bundled.statement("a15-one-third-for-party")
    g, _ = _graphs(document, s)
    comment = g.value(URIRef(f"{_stmt(s.id)}#c1"), RDFS.comment)
    assert comment == Literal("value written as the fraction 1/3 (不少于三分之一); rightOperand rounded to 6 decimals",
                              lang="en")


@pytest.mark.parametrize("text", ["每年召开5次以上", "座谈会召开"])
def test_number_words_not_in_the_quote_nor_once_in_the_clause_are_refused(document, bundled, text):
    constraint = dataclasses.replace(bundled.statement(MEETINGS).norm.constraints[0], text=text)
    _fails(document, _norm(bundled, MEETINGS, constraints=(constraint,)),
           f"the number text {text!r} is not in the quote (and not exactly once in clause art/11)")


def test_number_words_twice_in_the_quote_are_refused_with_the_count(document, bundled):
    constraint = dataclasses.replace(bundled.statement(MEETINGS).norm.constraints[0], text="群众")
    s = dataclasses.replace(_norm(bundled, MEETINGS, constraints=(constraint,)),
                            quote="征求群众意见座谈会,社区党组织书记每周固定一天接待群众来访")
    _fails(document, s, "the number text '群众' occurs 2 times in the quote")


def test_number_words_once_in_the_clause_outside_the_quote_are_accepted(document, bundled):
    # 每周固定一天 is in art. 11 once, outside the quote of the meetings norm.
    unit = document.unit("art/11")
    assert document.text[unit.start:unit.end].count("每周固定一天") == 1
    constraint = dataclasses.replace(bundled.statement(MEETINGS).norm.constraints[0], text="每周固定一天")
    g, _ = _graphs(document, _norm(bundled, MEETINGS, constraints=(constraint,)))
    assert g.value(URIRef(f"{_stmt(MEETINGS)}#c1"), PKG.valueText) == Literal("每周固定一天")


def test_a_deadline_is_a_time_instant_with_its_year_and_words(document, bundled):
    g, _ = _graphs(document, bundled.statement(CERTIFICATE))
    node = URIRef(f"{_stmt(CERTIFICATE)}#deadline")
    assert g.value(_stmt(CERTIFICATE), PKG.deadline) == node
    assert (node, RDF.type, TIME.Instant) in g
    assert g.value(node, TIME.inXSDgYear) == Literal("2015", datatype=XSD.gYear)
    assert g.value(node, RDFS.label) == Literal("到2015年", lang="zh")
    assert g.value(node, TIME.inXSDDate) is None
    assert g.value(_stmt(CERTIFICATE), PKG.startDate) is None


def test_a_start_with_a_day_has_its_date(document, bundled):
    start = DateSpec(text="自2011年起", year=2011, date="2011-01-01")
    g, _ = _graphs(document, _norm(bundled, MINIMUM, start=start))
    node = URIRef(f"{_stmt(MINIMUM)}#start")
    assert g.value(_stmt(MINIMUM), PKG.startDate) == node
    assert g.value(node, TIME.inXSDDate) == Literal("2011-01-01", datatype=XSD.date)
    assert g.value(node, TIME.inXSDgYear) == Literal("2011", datatype=XSD.gYear)


def test_a_year_is_written_with_four_digits(document, bundled):
    deadline = DateSpec(text="到2015年", year=15)
    g, _ = _graphs(document, _norm(bundled, CERTIFICATE, deadline=deadline))
    assert g.value(URIRef(f"{_stmt(CERTIFICATE)}#deadline"), TIME.inXSDgYear) == Literal("0015", datatype=XSD.gYear)


def test_date_words_not_in_the_quote_are_refused(document, bundled):
    _fails(document, _norm(bundled, CERTIFICATE, deadline=DateSpec(text="到2016年", year=2016)),
           "the date text '到2016年' is not in the quote")


def test_a_duration_has_its_parts_and_says_when_it_is_approximate(document, bundled):
    g, _ = _graphs(document, bundled.statement(TARGET))
    node = URIRef(f"{_stmt(TARGET)}#duration")
    assert g.value(_stmt(TARGET), PKG.duration) == node
    assert (node, RDF.type, TIME.DurationDescription) in g
    assert g.value(node, TIME.years) == Literal(Decimal(5), datatype=XSD.decimal)
    assert g.value(node, TIME.months) is None and g.value(node, TIME.days) is None
    assert g.value(node, RDFS.label) == Literal("5年左右", lang="zh")
    assert g.value(node, RDFS.comment) == Literal("approximate (左右/约)", lang="en")
    exact = DurationSpec(text="5年左右", years=None, months=5, days=3, approximately=False)
    g, _ = _graphs(document, _norm(bundled, TARGET, duration=exact))
    assert g.value(node, TIME.months) == Literal(Decimal(5), datatype=XSD.decimal)
    assert g.value(node, TIME.days) == Literal(Decimal(3), datatype=XSD.decimal)
    assert g.value(node, TIME.years) is None and g.value(node, RDFS.comment) is None


def test_duration_words_not_in_the_quote_are_refused(document, bundled):
    _fails(document, _norm(bundled, TARGET, duration=DurationSpec(text="6年左右", years=6)),
           "the duration text '6年左右' is not in the quote")


# -- scope phrases --------------------------------------------------------------------------------------------

def _scope(g, statement_id):
    return {str(o) for o in g.objects(_stmt(statement_id), PKG.scopePhrase)}


def test_scope_phrases_are_the_start_words_and_the_listed_phrases(document, bundled):
    g, _ = _graphs(document, bundled.statement(MINIMUM))
    assert _scope(g, MINIMUM) == {"自2011年起", "原则上"}
    g, _ = _graphs(document, bundled.statement(CERTIFICATE))
    assert _scope(g, CERTIFICATE) == {"到2015年"}
    g, _ = _graphs(document, bundled.statement(MEETINGS))
    assert _scope(g, MEETINGS) == set()


def test_every_scope_word_in_the_quote_is_a_scope_phrase(document, bundled):
    s = bundled.statement("a08-unified-recruitment-from-2011")
    assert "各县级市、区统一组织" in s.quote and "各县级市、区财政" not in s.quote
    g, _ = _graphs(document, s)
    assert _scope(g, s.id) == {s.norm.start.text, "逐步", "各县级市、区"}


def test_the_longest_of_nested_scope_phrases_only(document, bundled):
    s = next(s for s in bundled.statements if "各县级市、区财政" in s.quote)
    g, _ = _graphs(document, s)
    assert "各县级市、区财政" in _scope(g, s.id) and "各县级市、区" not in _scope(g, s.id)


def test_a_listed_scope_phrase_not_in_the_quote_is_refused(document, bundled):
    _fails(document, _changed(bundled, MINIMUM, scope=("逐年",)), "the scope phrase text '逐年' is not in the quote")


# -- groups, practices, not-norms, background ---------------------------------------------------------------------

def test_a_group_lists_its_members_in_order(document, bundled):
    group = bundled.groups[0]
    members = [bundled.statement(m) for m in group.members]
    g, _ = _graphs(document, *members, groups=[group])
    node = _stmt(group.id)
    cells = [URIRef(f"{node}#member-{i}") for i in range(1, len(members) + 1)]
    assert g.value(node, PKG.members) == cells[0]
    assert [g.value(c, RDF.first) for c in cells] == [_stmt(m) for m in group.members]
    assert [g.value(c, RDF.rest) for c in cells] == cells[1:] + [RDF.nil]
    assert set(g.objects(node, DCTERMS.hasPart)) == {_stmt(m) for m in group.members}
    start, end = _position(g, node)
    assert document.text[start:end] == group.quote
    assert group.note is None and g.value(node, SKOS.note) is None
    g, _ = _graphs(document, *members, groups=[dataclasses.replace(group, note="说明")])
    assert g.value(node, SKOS.note) == Literal("说明", lang="zh")


def test_an_item_is_stated_by_the_heading_of_its_article(document, bundled):
    assert list_heading(document, "art/4/item/3") == "明确社区党组织的主要职责"
    assert list_heading(document, "art/4") == ""
    assert list_heading(document, "part/2/para/1") == ""
    s = bundled.statement("a04-duty-2-discuss-and-decide")
    g, interp = _graphs(document, s)
    assert set(g.objects(_stmt(s.id), PKG.bearer)) == {PKG.CommunityPartyOrganization}


def test_practices_and_entities_are_anchored_in_their_clauses(document, bundled):
    g, _ = _graphs(document, practices=bundled.practices[:1], entities=bundled.entities[:1])
    for thing in (bundled.practices[0], bundled.entities[0]):
        ref = thing.ref if hasattr(thing, "ref") else thing.id
        iri = URIRef(iris.thing_iri(BASE, *ref.split(":", 1)))
        start, end = _position(g, iri)
        assert document.text[start:end] == thing.quote
        assert g.value(iri, PKG.definedInClause) == URIRef(document.unit(thing.clause).iri)


def test_a_not_a_norm_quote_without_clause_must_occur_once_in_the_document(document, bundled):
    no_clause = next(n for n in bundled.not_norms if not n.clause)
    _graphs(document, not_norms=[no_clause])
    twice = dataclasses.replace(no_clause, quote="社区党组织要")
    with pytest.raises(AnnotationError) as error:
        _graphs(document, not_norms=[twice])
    assert "times in the document (give a clause or a longer quote)" in str(error.value)
    with pytest.raises(AnnotationError, match="the quote is not in clause art/6"):
        _graphs(document, not_norms=[dataclasses.replace(bundled.not_norms[0], clause="art/6")])


def test_background_facts_cite_their_source(bundled):
    g = background_graph(bundled, BASE)
    fact = bundled.background[0]
    node = URIRef(f"{BASE}id/background/{fact.id}")
    assert (PKG.HigherLevelPartyOrganization, PKG.leads, PKG.CommunityPartyOrganization) in g
    source = URIRef(f"{BASE}id/source/constitution-of-the-communist-party-of-china")
    assert g.value(node, DCTERMS.source) == source
    assert g.value(node, DCTERMS.bibliographicCitation) == Literal(
        "《中国共产党章程》(2007年10月21日党的十七大部分修改)第十条", lang="zh")
    assert g.value(URIRef(f"{node}#quote"), OA.exact) == Literal(fact.source["quote_zh"], lang="zh")
    gusu = URIRef(iris.thing_iri(BASE, "agent", "gusu-district"))
    assert g.value(gusu, RDF.type) == PKG.District


def test_only_the_annotated_document_gets_statements(document, tmp_path):
    other = tmp_path / "another-policy.txt"
    other.write_text(BUNDLED_SOURCE.read_text(encoding="utf-8"), encoding="utf-8")
    graphs = build_statements([parse_document(other)])
    assert {name: len(g) for name, g in graphs.items()} == {"statements": 0, "interpretation": 0, "background": 0}


# -- more of what a statement records ------------------------------------------------------------------------------

def test_overlapping_occurrences_of_number_words_are_all_counted(document, bundled):
    # 3000 and 10000 hold 00 five times when occurrences may overlap (2 + 3).
    s = bundled.statement("a03-resettlement-area-cpo-and-centre")
    condition = dataclasses.replace(s.norm.conditions[0], text="00")
    _fails(document, _norm(bundled, s.id, conditions=(condition,)), "the number text '00' occurs 5 times in the quote")


def test_a_term_listed_as_not_named_is_read_even_when_its_label_is_in_the_quote(document, bundled):
    s = _changed(bundled, RELATION, not_named=("ResidentsCommittee",), reading="原因")
    g, interp = _graphs(document, s)
    assert (_stmt(RELATION), RDF.type, PKG.RelationStatement) in interp
    assert (PKG.CommunityPartyOrganization, PKG.leadsAndGuides, PKG.ResidentsCommittee) not in g


def test_a_term_named_by_the_words_the_annotation_gives_is_stated(document, bundled):
    s = _changed(bundled, RELATION, relation=dataclasses.replace(bundled.statement(RELATION).relation,
                                                                  object="SocialOrganization"),
                 named=(("SocialOrganization", "社区居民委员会"),))
    g, interp = _graphs(document, s)
    assert (PKG.CommunityPartyOrganization, PKG.leadsAndGuides, PKG.SocialOrganization) in g and len(interp) == 0


def test_only_chinese_labels_name_a_term(document, bundled, monkeypatch):
    # A label in another language never makes a term named, even when its words are in the quote.
    graph = Graph()
    graph += statements_module.ontology_graph()      # a copy: the file's shared one stays as it is
    graph.add((PKG.SocialOrganization, RDFS.label, Literal("社区居民委员会", lang="en")))
    monkeypatch.setattr(statements_module, "ontology_graph", lambda: graph)
    s = _changed(bundled, RELATION, relation=dataclasses.replace(bundled.statement(RELATION).relation,
                                                                  object="SocialOrganization"))
    _fails(document, s, "the quote does not name SocialOrganization")


def test_a_term_is_named_by_the_label_of_an_entity_or_practice(document, bundled):
    # 平江区 names agent:pingjiang-district only through the entity's own label.
    s = next(s for s in bundled.statements if s.norm and "agent:pingjiang-district" in s.norm.objects)
    entities = [e for e in bundled.entities if e.id == "agent:pingjiang-district"]
    g, interp = _graphs(document, s, entities=entities)
    district = URIRef(iris.thing_iri(BASE, "agent", "pingjiang-district"))
    assert (_stmt(s.id), PKG.normObject, district) in g and (_stmt(s.id), PKG.normObject, district) not in interp


def test_an_implied_bearer_that_is_the_party_organization_keeps_the_annotations_reason(document, bundled):
    s = dataclasses.replace(_norm(bundled, CERTIFICATE, bearer=("PartyOrganization",)), reading="读法")
    _, interp = _graphs(document, s)
    node = URIRef(f"{_stmt(CERTIFICATE)}#reading-bearer-PartyOrganization")
    assert (node, PKG.interpretationReason, Literal("读法", lang="zh")) in interp


def test_a_norm_records_its_note_practices_and_the_objects_its_quote_names(document, bundled):
    s = bundled.statement("a19-activity-funds-150-yuan-per-member")
    g, interp = _graphs(document, s)
    stmt = _stmt(s.id)
    assert g.value(stmt, SKOS.note) == Literal(s.note, lang="zh")
    assert set(g.objects(stmt, PKG.normObject)) == {PKG.CommunityPartyOrganization}
    practiced = bundled.statement("a03-resettlement-area-sets-up-rcs")
    g, interp = _graphs(document, practiced)    # (its subject is a reading: the whole relation is in interp)
    assert set(interp.objects(_stmt(practiced.id), DCTERMS.references)) == {
        URIRef(iris.thing_iri(BASE, "practice", "one-area-several-committees"))}
    g, _ = _graphs(document, bundled.statement(RELATION))
    assert g.value(_stmt(RELATION), SKOS.note) is None


def test_a_statement_about_terms_is_a_policy_statement_with_its_subjects(document, bundled):
    s = bundled.statement("p0-purpose")
    g, _ = _graphs(document, s)
    assert (_stmt(s.id), RDF.type, PKG.PolicyStatement) in g
    assert set(g.objects(_stmt(s.id), DCTERMS.subject)) == {
        PKG.CommunityPartyOrganization, URIRef(iris.thing_iri(BASE, "task", "urban-community-party-organization-building"))}


def test_practices_and_entities_carry_their_types_labels_definitions_and_parts(document, bundled):
    practice = next(p for p in bundled.practices if p.definition_zh and p.definition_en)
    entity = next(e for e in bundled.entities if e.part_of)
    task = next(e for e in bundled.entities if e.alt_zh)
    g, _ = _graphs(document, practices=[practice], entities=[entity, task])
    p = URIRef(iris.thing_iri(BASE, *practice.ref.split(":", 1)))
    assert (p, RDF.type, SKOS.Concept) in g and (p, RDF.type, PKG[practice.type]) in g
    assert g.value(p, SKOS.definition, any=True) is not None
    assert set(g.objects(p, SKOS.definition)) == {Literal(practice.definition_zh, lang="zh"),
                                                  Literal(practice.definition_en, lang="en")}
    assert set(g.objects(p, SKOS.prefLabel)) == {Literal(practice.label_zh, lang="zh"),
                                                 Literal(practice.label_en, lang="en")}
    e = URIRef(iris.thing_iri(BASE, *entity.id.split(":", 1)))
    assert g.value(e, ORG.subOrganizationOf) == URIRef(iris.thing_iri(BASE, *entity.part_of.split(":", 1)))
    assert (e, RDF.type, PKG[entity.type]) in g
    t = URIRef(iris.thing_iri(BASE, *task.id.split(":", 1)))
    assert set(g.objects(t, SKOS.altLabel)) == {Literal(w, lang="zh") for w in task.alt_zh}
    assert g.value(t, ORG.subOrganizationOf) is None


def test_background_facts_use_the_standard_properties_they_name(bundled):
    g = background_graph(bundled, BASE)
    canglang, gusu = (URIRef(iris.thing_iri(BASE, "agent", slug)) for slug in ("canglang-district", "gusu-district"))
    assert (canglang, DCTERMS.isReplacedBy, gusu) in g
    fact = next(f for f in bundled.background if f.relation.predicate == "rdfs:subClassOf")
    assert (PKG[fact.relation.subject], RDFS.subClassOf, PKG[fact.relation.object]) in g
    noted = next(f for f in bundled.background if f.note)
    assert g.value(URIRef(f"{BASE}id/background/{noted.id}"), SKOS.note) == Literal(noted.note, lang="zh")
    assert g.value(URIRef(f"{BASE}id/background/{bundled.background[0].id}"), SKOS.note) is None


def test_the_annotated_document_gets_statements_background_and_inherited_axioms(document):
    graphs = build_statements([document])
    assert len(graphs["background"]) > 0 and len(graphs["interpretation"]) > 0
    restrictions = set(graphs["statements"].subjects(RDF.type, OWL.Restriction))
    assert restrictions
    assert all(graphs["statements"].value(r, OWL.someValuesFrom) is not None for r in restrictions)


def test_a_not_a_norm_quote_may_start_the_document(document, bundled):
    first = dataclasses.replace(next(n for n in bundled.not_norms if not n.clause), quote=document.text[:12])
    assert document.text.count(first.quote) == 1
    _graphs(document, not_norms=[first])


def test_the_annotations_are_read_from_the_folder_given(document, tmp_path):
    with pytest.raises(AnnotationError, match="the annotation folder does not exist"):
        build_statements([document], annotations_dir=tmp_path / "nowhere")
