"""Content negotiation, rule by rule (RFC 9110 §12.5.1): specificity, q-values, the client's order, overrides.

The protocol tests check what a real client gets; these pin down each rule at its boundary, so that a slip in
one of them (a wildcard ranked as specific, a q of 2 taken at face value, a malformed range that ends the
parse) fails here rather than silently changing the format some client receives.
"""
from __future__ import annotations

import pytest

from policykg.api.negotiation import (GRAPH_OFFERS, RESULTS_OFFERS, MediaRange, choose_format, negotiate,
                                      parse_accept)


@pytest.mark.parametrize("range_, media_type, specificity", [
    (("*", "*"), "text/csv", 1),
    (("text", "*"), "text/csv", 2),
    (("text", "csv"), "text/csv", 3),
    (("text", "*"), "application/json", 0),
    (("application", "json"), "application/ld+json", 0),
    (("*", "csv"), "text/csv", 0),          # not a valid range: a wildcard type needs a wildcard subtype
])
def test_a_range_matches_with_its_specificity(range_, media_type, specificity):
    assert MediaRange(*range_, q=1.0, order=0).matches(media_type) == specificity


def test_q_defaults_to_one_and_is_clamped_to_the_unit_interval():
    parsed = parse_accept("text/csv, text/plain;q=2, text/html;q=-1, text/xml;q=abc, text/n3;q=0.4")
    assert [(r.type + "/" + r.subtype, r.q) for r in parsed] == [
        ("text/csv", 1.0), ("text/plain", 1.0), ("text/html", 0.0), ("text/xml", 0.0), ("text/n3", 0.4)]


def test_malformed_ranges_are_skipped_and_the_rest_still_read():
    parsed = parse_accept("garbage, /csv, text/, *, text/csv;q=0.5")
    assert [(r.type, r.subtype, r.q, r.order) for r in parsed] == [("*", "*", 1.0, 3), ("text", "csv", 0.5, 4)]


def test_without_an_accept_header_the_first_offer_or_the_default_is_chosen():
    offers = ["text/turtle", "application/n-triples"]
    assert negotiate(None, offers) == "text/turtle"
    assert negotiate("", offers, default="application/n-triples") == "application/n-triples"


def test_the_higher_q_wins_whatever_the_order():
    assert negotiate("text/csv;q=0.5, application/sparql-results+xml;q=0.9", RESULTS_OFFERS) \
        == "application/sparql-results+xml"


def test_at_equal_q_the_clients_order_decides_among_named_types():
    assert negotiate("text/csv, application/sparql-results+json", RESULTS_OFFERS) == "text/csv"
    assert negotiate("application/sparql-results+json, text/csv", RESULTS_OFFERS) == \
        "application/sparql-results+json"


def test_a_named_type_beats_a_full_wildcard_of_the_same_q():
    # */* accepts everything, but a type the client names outranks what only the wildcard admits.
    assert negotiate("text/csv, */*", RESULTS_OFFERS) == "text/csv"
    assert negotiate("*/*, text/csv", RESULTS_OFFERS) == "text/csv"


def test_a_full_wildcard_alone_gives_the_services_first_choice():
    assert negotiate("*/*", RESULTS_OFFERS) == RESULTS_OFFERS[0][0]
    assert negotiate("*/*", GRAPH_OFFERS) == GRAPH_OFFERS[0][0]


def test_a_type_wildcard_ranks_by_the_clients_order_like_a_named_type():
    assert negotiate("text/*, application/sparql-results+json", RESULTS_OFFERS) == "text/csv"


def test_the_most_specific_range_sets_an_offers_q():
    # text/csv is refused (q=0) even though text/* would accept it: the exact range decides.
    assert negotiate("text/*;q=0.8, text/csv;q=0", RESULTS_OFFERS) == "text/tab-separated-values"
    # Of two equally specific ranges, the first one the client wrote applies.
    assert negotiate("text/csv;q=0.9, text/csv;q=0.1, text/tab-separated-values;q=0.5", RESULTS_OFFERS) \
        == "text/csv"


def test_q_zero_refuses_and_nothing_acceptable_gives_none():
    assert negotiate("text/csv;q=0", RESULTS_OFFERS) is None
    assert negotiate("image/png", RESULTS_OFFERS) is None


@pytest.mark.parametrize("kind, accept, overrides, token", [
    ("results", "text/csv", ["json"], "JSON"),
    ("results", None, ["text/csv; charset=utf-8"], "CSV"),
    ("results", None, ["nonsense", " TSV "], "TSV"),
    ("graph", None, ["application/rdf+xml;q=1"], "RDF_XML"),
    ("graph", "text/turtle", ["nonsense"], "TURTLE"),
    ("graph", "image/png", [], None),
])
def test_the_first_recognised_override_wins_else_accept_decides(kind, accept, overrides, token):
    assert choose_format(kind, accept, overrides) == token
