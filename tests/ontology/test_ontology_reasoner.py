"""HermiT (through owlready2) finds the ontology consistent, with no unsatisfiable class, also with
punned type-level statements and a complete norm; and the check does detect real problems."""
from __future__ import annotations

import pytest

from ontology_support import GOOD_STATEMENTS, PREFIXES, PUNNED_SAMPLE, parse
from policykg.ontology.reasoner import ReasonerUnavailable, check_ontology, find_java

pytestmark = pytest.mark.java


@pytest.fixture(scope="module", autouse=True)
def _java():
    try:
        find_java()
    except ReasonerUnavailable as exc:
        pytest.skip(f"HermiT needs Java: {exc}")


def test_ontology_is_consistent_without_unsatisfiable_classes():
    report = check_ontology()
    assert report.error is None, report.error
    assert report.consistent, report.summary()
    assert report.unsatisfiable == [], report.summary()
    assert report.ok
    assert report.triples > 3000


def test_punned_type_level_statements_and_norms_keep_it_consistent():
    report = check_ontology(parse(PUNNED_SAMPLE + GOOD_STATEMENTS.replace(PREFIXES, "")))
    assert report.error is None, report.error
    assert report.ok, report.summary()


def test_reasoner_detects_inconsistency_from_disjoint_deontic_classes():
    # A norm cannot be graded both 必须 and 可以.
    report = check_ontology(parse(PREFIXES + "st:x a pkg:StrictObligation , pkg:Permission ."))
    assert report.error is None, report.error
    assert not report.consistent
    assert not report.ok


def test_reasoner_reports_unsatisfiable_classes():
    report = check_ontology(parse(PREFIXES + "pkg:Broken a owl:Class ; rdfs:subClassOf pkg:Obligation , pkg:Prohibition ."))
    assert report.consistent
    assert report.unsatisfiable == ["https://w3id.org/policykg/def/Broken"]
    assert "unsatisfiable" in report.summary()
