"""Every number in the policy's text is a numeric constraint, a date, or deliberately not a norm.

The numbers are found in the text itself (Arabic digits and Chinese numerals), not taken from the
annotations, so a number the annotations forget makes this test fail.
"""
from __future__ import annotations

import re
from decimal import Decimal

import pytest
from rdflib import URIRef
from rdflib.namespace import RDF, RDFS

from policykg.loader.annotations import load_annotations
from policykg.ontology.namespaces import OA, ODRL, PKG

NUMERAL = re.compile(r"[0-9]+(?:\.[0-9]+)?|[一二三四五六七八九十百千万两零〇]+")
LABEL_GAP = re.compile(r"^[\s.、)()\u00a0]*$")


def _find_unique(text, needle, lo, hi):
    hits = [m.start() for m in re.finditer(re.escape(needle), text[lo:hi])]
    return lo + hits[0] if len(hits) == 1 else None


def _statement_span(g, stmt):
    position = URIRef(f"{stmt}#position")
    return int(g.value(position, OA.start)), int(g.value(position, OA.end))


def _words_span(document, g, stmt, words):
    start, end = _statement_span(g, stmt)
    pos = _find_unique(document.text, words, start, end)
    if pos is None:
        unit = document.unit_by_iri(str(g.value(stmt, URIRef("http://www.w3.org/ns/prov#wasDerivedFrom"))))
        pos = _find_unique(document.text, words, unit.start, unit.end)
    assert pos is not None, (stmt, words)
    return pos, pos + len(words)


def _covered_spans(document, g):
    spans = {"constraint": [], "date": [], "not-a-norm": [], "word": []}
    for prop in (PKG.hasConstraint, PKG.condition):
        for stmt, c in g.subject_objects(prop):
            spans["constraint"].append(_words_span(document, g, stmt, str(g.value(c, PKG.valueText))))
    for prop in (PKG.startDate, PKG.deadline, PKG.duration):
        for stmt, node in g.subject_objects(prop):
            spans["date"].append(_words_span(document, g, stmt, str(g.value(node, RDFS.label))))
    ann = load_annotations()
    for n in ann.not_norms:
        lo, hi = (document.unit(n.clause).start, document.unit(n.clause).end) if n.clause else (0, len(document.text))
        pos = _find_unique(document.text, n.quote, lo, hi)
        assert pos is not None, n
        spans["not-a-norm"].append((pos, pos + len(n.quote)))
    for w in ann.words:
        spans["word"].extend((m.start(), m.end()) for m in re.finditer(re.escape(w.word), document.text))
    return spans


def _is_heading_number(document, start, end):
    for u in document.units:
        if u.kind in ("part", "article", "item") and start >= u.start - 8 and end <= u.start \
                and LABEL_GAP.match(document.text[end:u.start]):
            return True
    return False


def test_every_number_in_the_text_is_covered(built, document):
    g = built.graphs["statements"]
    spans = _covered_spans(document, g)
    uncovered, found = [], 0
    for m in NUMERAL.finditer(document.text):
        found += 1
        s, e = m.span()
        if _is_heading_number(document, s, e):
            continue
        if any(a <= s and e <= b for kind in spans for a, b in spans[kind]):
            continue
        uncovered.append((s, m.group(), document.text[max(0, s - 8):e + 8]))
    assert found > 100
    assert not uncovered, "numbers neither in a constraint, a date, nor listed as not a norm: " + repr(uncovered)


def test_arabic_numbers_in_the_articles_are_all_norms(built, document):
    """Digits inside the articles are never waved through as 'not a norm'."""
    g = built.graphs["statements"]
    spans = _covered_spans(document, g)
    norm_spans = spans["constraint"] + spans["date"]
    articles = [u for u in document.units if u.kind == "article"]
    count = 0
    for u in articles:
        for m in re.finditer(r"[0-9]+(?:\.[0-9]+)?", u.text):
            s, e = u.start + m.start(), u.start + m.end()
            if _is_heading_number(document, s, e):
                continue
            count += 1
            assert any(a <= s and e <= b for a, b in norm_spans), (u.path, m.group())
    assert count >= 20  # 23 Arabic numbers; the Chinese ones (每三年, 一次, 一天, 三分之一…) come on top


def test_not_a_norm_entries_have_reasons_and_kinds():
    ann = load_annotations()
    assert ann.not_norms and ann.words
    for n in ann.not_norms:
        assert n.kind in {"name", "lexical", "count", "ordinal", "metadata"} and len(n.reason) > 10


EXPECTED = [  # (value, operator, unit, statement-id prefix)
    ("50", "gt", "unitPerson", "a03-general-branch"), ("100", "gt", "unitPerson", "a03-party-committee"),
    ("3000", "gt", "unitHousehold", "a03-resettlement"), ("10000", "approximately", "unitPerson", "a03-resettlement"),
    ("5", "approximately", "unitYear", "a02-five-year"), ("40", "approximately", "unitYearOfAge", "a06-age"),
    ("1", "eq", "unitTimes", "a07-rotation"), ("1", "gteq", "unitTimes", "a07-leaders"),
    ("7", "gteq", "unitDay", "a07-leaders"), ("5", "gteq", "unitDay", "a07-other"),
    ("40", "lteq", "unitYearOfAge", "a07-young"), ("45", "lteq", "unitYearOfAge", "a08-certificate"),
    ("1", "gteq", "unitMultiple", "a09-staff"), ("1.2", "gteq", "unitMultiple", "a09-secretary"),
    ("4", "gteq", "unitTimes", "a11-opinion"), ("1", "eq", "unitDay", "a11-secretary-weekly"),
    ("3", "gteq", "unitPercent", "a15-service"), ("0.5", "eq", "unitPercent", "a15-work"),
    ("0.333333", "gteq", "unitFraction", "a15-one-third"), ("20", "gteq", "unitYuanPerPersonYear", "a19-work-funds"),
    ("150", "gteq", "unitYuanPerMemberYear", "a19-activity-funds-150"), ("100", "lt", "unitPartyMember", "a19-activity-funds-minimum"),
    ("15000", "gteq", "unitYuan", "a19-activity-funds-minimum"), ("30", "eq", "unitPercent", "a19-city"),
    ("70", "eq", "unitPercent", "a19-districts"), ("1", "eq", "unitPerson", "a06-one-graduate"),
]


@pytest.mark.parametrize("value,op,unit,stmt", EXPECTED)
def test_numeric_constraint(built, value, op, unit, stmt):
    g = built.graphs["statements"]
    operator = PKG.approximately if op == "approximately" else ODRL[op]
    hits = []
    for prop in (PKG.hasConstraint, PKG.condition):
        for s, c in g.subject_objects(prop):
            if str(s).rsplit("/", 1)[-1].startswith(stmt) and (c, ODRL.operator, operator) in g \
                    and (c, ODRL.unit, PKG[unit]) in g and Decimal(str(g.value(c, ODRL.rightOperand))) == Decimal(value):
                hits.append(c)
                assert (c, RDF.type, PKG.NumericConstraint) in g and g.value(c, ODRL.leftOperand) is not None
    assert hits, f"no {op} {value} {unit} constraint on {stmt}*"


def test_dates_and_durations_bound_their_norms(built):
    g = built.graphs["statements"]
    from rdflib.namespace import TIME
    starts = {(str(s).rsplit("/", 1)[-1], str(g.value(i, TIME.inXSDgYear))) for s, i in g.subject_objects(PKG.startDate)}
    assert ("a08-unified-recruitment-from-2011", "2011") in starts
    assert ("a19-activity-funds-150-yuan-per-member", "2011") in starts
    deadlines = {(str(s).rsplit("/", 1)[-1], str(g.value(i, TIME.inXSDgYear))) for s, i in g.subject_objects(PKG.deadline)}
    assert deadlines == {("a08-certificate-by-2015", "2015")}
    durations = {str(s).rsplit("/", 1)[-1]: int(float(g.value(d, TIME.years))) for s, d in g.subject_objects(PKG.duration)}
    assert durations == {"a02-five-year-target": 5}
