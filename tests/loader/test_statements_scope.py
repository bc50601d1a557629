"""One rule per scope phrase, applied to every occurrence (issue 14; rules in loader/annotations/README.md).

Each occurrence of 自/从…年起, 到…年, 原则上, 逐步 and 各… in the policy's body is found in the text
itself, the norms its rule reaches are computed from the text (not from the annotations), and each
must carry the phrase (pkg:scopePhrase) and the reading the rule gives:

- 自/从X年起: every norm of its sentence from the phrase on has pkg:startDate X;
- 到X年: every norm of its sentence from the phrase on has pkg:deadline X;
- 原则上: every norm of its sentence from the phrase on is an ObligationInPrinciple;
- 逐步, 逐年: the norm of its clause (up to the next comma) records it; the modality is not changed;
- 进一步: an intensifier, never a scope or marker, and never what grades a norm below an obligation;
- 各…: every statement quoting it records it, and 各县级市、区 standing alone is read as the
  county-level cities and the districts (CountyLevelCity, District) wherever it occurs.
"""
from __future__ import annotations

import re

import pytest
from rdflib import Literal, URIRef
from rdflib.namespace import RDF, TIME

from policykg.ontology.namespaces import OA, PKG

SENTENCE_END = "。"
CLAUSE_END = ",。;"


def _spans(g) -> dict[URIRef, tuple[int, int]]:
    """Every asserted statement's quote span."""
    out = {}
    for stmt in set(g.subjects(RDF.type, PKG.PolicyStatement)) | set(g.subjects(RDF.type, PKG.Norm)) \
            | set(g.subjects(RDF.type, PKG.RelationStatement)):
        target = g.value(stmt, OA.hasTarget)
        for sel in g.objects(target, OA.hasSelector):
            if (sel, RDF.type, OA.TextPositionSelector) in g:
                out[stmt] = (int(g.value(sel, OA.start)), int(g.value(sel, OA.end)))
    return out


def _end(text: str, pos: int, stops: str) -> int:
    ends = [i for i in (text.find(c, pos) for c in stops) if i != -1]
    return min(ends) if ends else len(text)


def _occurrences(document, pattern: str):
    body = document.unit("preamble").start
    for m in re.finditer(pattern, document.text):
        if m.start() >= body:
            yield m


def _reached(spans, start: int, end: int, g, norms_only=True):
    """Statements of the stretch [start, end): whose quote contains the phrase's position or begins after it."""
    return [s for s, (a, b) in spans.items() if b > start and a < end
            and (not norms_only or (s, RDF.type, PKG.Norm) in g)]


@pytest.fixture(scope="module")
def g(built):
    return built.graphs["statements"]


@pytest.fixture(scope="module")
def spans(g):
    return _spans(g)


def test_every_time_phrase_dates_every_norm_of_its_sentence(g, spans, document):
    found = 0
    for m in _occurrences(document, r"(?:自|从|到)(\d{4})年起?"):
        found += 1
        words, year = m.group(0), m.group(1)
        prop = PKG.deadline if words.startswith("到") else PKG.startDate
        reached = _reached(spans, m.start(), _end(document.text, m.start(), SENTENCE_END), g)
        assert reached, words
        for stmt in reached:
            assert g.value(g.value(stmt, prop), TIME.inXSDgYear) == Literal(year, datatype=URIRef(
                "http://www.w3.org/2001/XMLSchema#gYear")), (words, stmt)
            assert (stmt, PKG.scopePhrase, Literal(words)) in g, (words, stmt)
    assert found == 3      # 从2011年起 (art. 8), 到2015年 (art. 8), 自2011年起 (art. 19)


def test_in_principle_reaches_to_the_end_of_its_sentence(g, spans, document):
    occurrences = list(_occurrences(document, "原则上"))
    assert len(occurrences) == 3
    reached_all = set()
    for m in occurrences:
        reached = _reached(spans, m.start(), _end(document.text, m.start(), SENTENCE_END), g)
        assert reached
        for stmt in reached:
            assert (stmt, RDF.type, PKG.ObligationInPrinciple) in g, stmt
            assert (stmt, PKG.scopePhrase, Literal("原则上")) in g, stmt
            reached_all.add(str(stmt).rsplit("/", 1)[-1])
    # the example: the 1.5万 floor follows 自2011年起原则上 in the same sentence
    assert {"a19-activity-funds-150-yuan-per-member", "a19-activity-funds-minimum-15000"} <= reached_all
    # nothing outside those sentences is graded 原则上
    assert {str(s).rsplit("/", 1)[-1] for s in g.subjects(RDF.type, PKG.ObligationInPrinciple)} == reached_all


@pytest.mark.parametrize("words, count", [("逐步", 3), ("逐年", 1)])
def test_gradually_is_recorded_on_its_clause_and_leaves_the_modality(g, spans, document, words, count):
    occurrences = list(_occurrences(document, words))
    assert len(occurrences) == count
    for m in occurrences:
        reached = _reached(spans, m.start(), _end(document.text, m.start(), CLAUSE_END), g)
        assert reached, document.text[m.start():m.start() + 20]
        for stmt in reached:
            assert (stmt, PKG.scopePhrase, Literal(words)) in g, stmt
            assert (stmt, RDF.type, PKG.ObligationInPrinciple) not in g
    assert len(set(g.subjects(PKG.scopePhrase, Literal(words)))) == count


def test_further_is_an_intensifier_that_grades_nothing(g, spans, document):
    occurrences = list(_occurrences(document, "进一步"))
    assert len(occurrences) >= 15
    assert not set(g.subjects(PKG.scopePhrase, Literal("进一步")))
    assert not set(g.subjects(PKG.modalMarker, Literal("进一步")))
    graded = 0
    for m in occurrences:
        for stmt in _reached(spans, m.start(), _end(document.text, m.start(), CLAUSE_END), g):
            quote = document.text[spans[stmt][0]:spans[stmt][1]]
            # a norm quoting 进一步 is an obligation unless other words of its quote grade it otherwise
            softer = {PKG.Recommendation, PKG.Permission, PKG.ObligationInPrinciple} & set(g.objects(stmt, RDF.type))
            if softer:
                assert any(w in quote for w in ("鼓励", "提倡", "可以", "原则上")), (stmt, quote)
            graded += 1
    assert graded >= 9, graded      # the norms of the 进一步 clauses (headings and goals are not norms)


@pytest.mark.parametrize("words", ["各级党委", "各级机关党组织", "各县级市、区财政", "各县级市、区", "各地"])
def test_each_every_phrase_is_recorded_wherever_it_is_quoted(g, spans, document, words):
    occurrences = [m for m in _occurrences(document, re.escape(words))
                   if not (words == "各县级市、区" and document.text.startswith("各县级市、区财政", m.start()))]
    assert occurrences
    for m in occurrences:
        quoting = [s for s, (a, b) in spans.items() if a <= m.start() and m.end() <= b]
        assert quoting, words
        for stmt in quoting:
            assert (stmt, PKG.scopePhrase, Literal(words)) in g, (words, stmt)


def test_each_county_level_city_and_district_has_one_reading_everywhere(g, spans, document):
    occurrences = [m for m in _occurrences(document, "各县级市、区")
                   if not document.text.startswith("各县级市、区财政", m.start())]
    assert len(occurrences) == 2      # art. 8 and the closing
    for m in occurrences:
        norms = [s for s, (a, b) in spans.items() if a <= m.start() and m.end() <= b and (s, RDF.type, PKG.Norm) in g]
        assert norms
        for stmt in norms:
            assert set(g.objects(stmt, PKG.bearer)) == {PKG.CountyLevelCity, PKG.District}, stmt
    finance = [m for m in _occurrences(document, "各县级市、区财政")]
    for m in finance:
        for stmt in [s for s, (a, b) in spans.items() if a <= m.start() and m.end() <= b and (s, RDF.type, PKG.Norm) in g]:
            assert set(g.objects(stmt, PKG.bearer)) == {PKG.CountyLevelCityFinance, PKG.DistrictFinance}, stmt
