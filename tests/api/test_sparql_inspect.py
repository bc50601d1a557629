"""The query inspector (a SPARQL lexer) that runs before any parser sees user input."""
from __future__ import annotations

import pytest

from policykg.api.negotiation import choose_format, negotiate
from policykg.store.guard import inspect_query


@pytest.mark.parametrize("query,form", [
    ("SELECT * { ?s ?p ?o }", "SELECT"),
    ("PREFIX select: <urn:x:>\nBASE <urn:y:>\n# SELECT in a comment\nconstruct { ?s ?p ?o } where { ?s ?p ?o }",
     "CONSTRUCT"),
    ("ask {}", "ASK"),
    ("DESCRIBE <urn:x>", "DESCRIBE"),
])
def test_query_form(query, form):
    info = inspect_query(query)
    assert info.form == form
    assert not info.is_update


@pytest.mark.parametrize("query,keyword", [
    ("INSERT DATA { <a:a> <a:b> <a:c> }", "INSERT"),
    ("PREFIX x: <urn:x:> delete where { ?s ?p ?o }", "DELETE"),
    ("LOAD <http://example.org/x>", "LOAD"),
    ("WITH <urn:g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }", "WITH"),
    ("DROP ALL", "DROP"),
])
def test_updates_are_recognised(query, keyword):
    info = inspect_query(query)
    assert info.is_update and info.update_keyword == keyword


@pytest.mark.parametrize("query,uses", [
    ("SELECT * { SERVICE <http://x/> { ?s ?p ?o } }", True),
    ("SELECT * { sErViCe SILENT ?endpoint { ?s ?p ?o } }", True),
    ('SELECT * { BIND("SERVICE <http://x/>" AS ?x) }', False),
    ("SELECT * { BIND('''a\nSERVICE\n''' AS ?x) }", False),
    ("SELECT * { ?s <http://x/SERVICE> ?o } # SERVICE", False),
    ("PREFIX SERVICE: <urn:x:> SELECT * { ?s SERVICE:p ?service }", False),
])
def test_service_detection(query, uses):
    assert inspect_query(query).uses_service is uses


@pytest.mark.parametrize("tail", [
    "# SERVICE LOAD INSERT {{{{ ((((",
    "ORDER BY ?service",
    "LIMIT 5 OFFSET 0 # load <http://x/> {",
    'VALUES ?x { "SERVICE" }',
    "ORDER BY load:x",
])
def test_words_inside_tokens_at_the_end_of_the_text_do_not_count(tail):
    # Tokens that end the text are skipped whole: the lexer must not resume inside them.
    info = inspect_query(f"SELECT ?service WHERE {{ ?service ?p ?o }} {tail}", max_depth=8)
    assert not info.uses_service and not info.uses_load and not info.is_update
    assert not info.too_deep and info.depth == 1
    assert info.keywords.isdisjoint({"SERVICE", "LOAD", "INSERT", "X"})


def test_depth_counts_only_real_brackets():
    assert inspect_query("SELECT * " + "{" * 10 + "}" * 10).depth == 10
    assert inspect_query('SELECT * { BIND("((((((((((((" AS ?x) }').depth == 2
    deep = inspect_query("SELECT * WHERE " + "{" * 5000 + "}" * 5000, max_depth=64)
    assert deep.too_deep and deep.depth == 65


def test_dataset_clause_detection():
    assert inspect_query("SELECT * FROM <urn:g> { ?s ?p ?o }").has_dataset_clause
    assert inspect_query("SELECT * FROM NAMED <urn:g> { GRAPH ?g { ?s ?p ?o } }").has_dataset_clause
    assert not inspect_query("SELECT * { ?s <urn:from> ?o }").has_dataset_clause


def test_negotiation_prefers_highest_q_then_client_order():
    offers = ["application/sparql-results+json", "application/sparql-results+xml", "text/csv"]
    assert negotiate("text/csv;q=0.9, application/sparql-results+xml", offers) == "application/sparql-results+xml"
    assert negotiate("text/*", offers) == "text/csv"
    assert negotiate("image/png", offers) is None
    assert negotiate(None, offers) == offers[0]
    assert negotiate("application/json;q=0", ["application/json"]) is None


def test_format_override_by_name_or_media_type():
    assert choose_format("results", "text/csv", ["json"]) == "JSON"
    assert choose_format("results", None, ["nonsense", "application/sparql-results+xml"]) == "XML"
    assert choose_format("graph", None, ["xml"]) == "RDF_XML"
    assert choose_format("graph", "text/csv", []) is None


def test_operator_count_measures_the_algebra_not_the_text():
    assert inspect_query("SELECT (" + "1+" * 100 + "1 AS ?x) {}").operators >= 100
    assert inspect_query("SELECT * {" + " {} UNION" * 50 + " {} }").operators >= 100
    # names with hyphens, IRIs and strings hold no operators
    quiet = inspect_query('PREFIX a-b: <http://x/a-b+c> SELECT ?x { ?s a-b:p-q "1+1||2" }')
    assert quiet.operators == 1  # the group brace
