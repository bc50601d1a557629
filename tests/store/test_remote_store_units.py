"""What the remote store decides on our side before and after a SPARQL server is asked, in-process and
without a server: the guard's parse of a user query, the dataset its FROM clauses name, values bound
into the service's own queries, Virtuoso's separator stand-ins, credentials from the environment,
the refusal each server error becomes, and reading an answer against a deadline and a size cap.

The same behaviour is checked against real Oxigraph and Virtuoso servers in test_remote_store.py;
these tests pin the boundaries, so that a one-character slip in store/remote.py fails here
(they are the mutation target's tests, tests/mutation/targets.toml).
"""
from __future__ import annotations

import time

import pyoxigraph as ox
import pytest
from SPARQLWrapper import SPARQLExceptions

from policykg.store import binding, remote, results
from policykg.store.errors import QueryRefused, StoreError

BASE = "https://w3id.org/policykg/"
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


# -- the form of a user query, as the embedded store would parse it ------------------------------------
@pytest.mark.parametrize("query, form", [
    ("SELECT * WHERE { ?s ?p ?o }", "SELECT"),
    ("ASK { ?s ?p ?o }", "ASK"),
    ("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", "CONSTRUCT"),
    ("DESCRIBE <https://w3id.org/policykg/id/x>", "DESCRIBE"),
    ("describe ?s WHERE { ?s ?p ?o }", "DESCRIBE"),
    # the word DESCRIBE inside a string or a comment does not make a CONSTRUCT a DESCRIBE
    ('CONSTRUCT { ?s <urn:p> "DESCRIBE" } WHERE { ?s ?p ?o }', "CONSTRUCT"),
    ("# DESCRIBE\nCONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", "CONSTRUCT"),
    ("SELECT ?x WHERE { BIND(<relative> AS ?x) }", "SELECT"),   # resolved against the service's base
])
def test_the_form_of_a_query_is_read_as_pyoxigraph_parses_it(query, form):
    assert remote.parse_query(query, BASE) == form


def test_a_syntax_error_is_refused_with_its_place():
    with pytest.raises(QueryRefused) as caught:
        remote.parse_query("SELECT * WHERE { ?s ?p }", BASE)
    assert caught.value.reason == "syntax"
    assert "line 1" in caught.value.message or "column" in caught.value.message


@pytest.mark.parametrize("query", [
    "SELECT * WHERE { ?s <bif:contains> ?o }",
    "PREFIX b: <bif:>\nSELECT * WHERE { ?s b:contains ?o }",
    "PREFIX sqlf: <sql:>\nSELECT * WHERE { ?s ?p sqlf:x }",
    "SELECT * WHERE { ?s ?p <SQL:x> }",
])
def test_iris_of_a_servers_own_sql_are_refused(query):
    with pytest.raises(QueryRefused) as caught:
        remote.parse_query(query, BASE)
    assert caught.value.reason == "not_evaluable"
    assert "bif:" in caught.value.message and "standard SPARQL" in caught.value.message


def test_a_function_the_engine_does_not_know_is_refused_before_any_server_sees_it():
    with pytest.raises(QueryRefused) as caught:
        remote.parse_query("SELECT * WHERE { ?s ?p ?o FILTER(<bif:contains>(?o, 'x')) }", BASE)
    assert caught.value.reason == "not_evaluable" and "bif:contains" in caught.value.message


def test_standard_functions_are_not_mistaken_for_a_servers_sql():
    assert remote.parse_query('SELECT * WHERE { ?s ?p ?o FILTER(CONTAINS(STR(?o), "sql:")) }', BASE) == "SELECT"


# -- the dataset a query's FROM clauses name ----------------------------------------------------------
def test_from_and_from_named_are_told_apart_and_resolved():
    query = ("BASE <https://example.org/a/>\nPREFIX g: <graph/>\n"
             "SELECT * FROM <one> FROM NAMED <two> FROM g:three FROM NAMED g:four WHERE { ?s ?p ?o }")
    assert remote.dataset_clauses(query, BASE) == (
        ["https://example.org/a/one", "https://example.org/a/graph/three"],
        ["https://example.org/a/two", "https://example.org/a/graph/four"])


def test_from_clauses_resolve_against_the_given_base_without_a_base_clause():
    assert remote.dataset_clauses("SELECT * FROM <graph/document> WHERE {}", BASE) == (
        [BASE + "graph/document"], [])


def test_a_prefix_declared_with_a_relative_namespace_is_resolved_against_the_base():
    query = "BASE <https://example.org/x/>\nPREFIX : <g/>\nSELECT * FROM :one WHERE {}"
    assert remote.dataset_clauses(query, BASE) == (["https://example.org/x/g/one"], [])


def test_a_from_with_an_undeclared_prefix_names_nothing():
    assert remote.dataset_clauses("SELECT * FROM nope:one WHERE {}", BASE) == ([], [])
    assert remote.dataset_clauses("SELECT * FROM nope:one FROM NAMED <urn:b> WHERE {}", BASE) == ([], ["urn:b"])


def test_from_inside_strings_iris_and_comments_is_not_a_clause():
    query = ('SELECT * WHERE { ?s ?p "FROM <urn:a>" } # FROM <urn:b>\n')
    assert remote.dataset_clauses(query, BASE) == ([], [])
    # and what follows a comment or a string is still read
    query = 'SELECT * # "FROM <urn:a>"\nFROM <urn:c> WHERE {}'
    assert remote.dataset_clauses(query, BASE) == (["urn:c"], [])


def test_a_query_without_from_names_no_graph():
    assert remote.dataset_clauses("SELECT * WHERE { ?s ?p ?o }", BASE) == ([], [])


# -- values bound into the service's own queries -------------------------------------------------------
def test_values_are_joined_first_in_the_top_level_where_group():
    query = "SELECT ?x WHERE { { SELECT ?x WHERE { ?x ?p ?o } } ?x <urn:p> ?v }"
    bound = binding.bind_values(query, {"v": ox.NamedNode("urn:v")})
    assert bound.startswith("SELECT ?x WHERE { VALUES (?v) { (<urn:v>) } ")
    assert bound.count("VALUES") == 1


def test_values_bind_after_the_form_keyword_not_in_a_prologue_or_a_construct_template():
    query = "PREFIX p: <urn:p#>\nCONSTRUCT { ?s p:q ?v } WHERE { ?s p:q ?v }"
    bound = binding.bind_values(query, {"$v": ox.Literal("x", language="zh")})
    assert bound == 'PREFIX p: <urn:p#>\nCONSTRUCT { ?s p:q ?v } WHERE { VALUES (?v) { ("x"@zh) }  ?s p:q ?v }'
    # WHERE is optional after a template; the second top-level group is the pattern
    bound = binding.bind_values("CONSTRUCT { ?s ?p ?v } { ?s ?p ?v }", {"v": ox.NamedNode("urn:v")})
    assert bound == "CONSTRUCT { ?s ?p ?v } { VALUES (?v) { (<urn:v>) }  ?s ?p <urn:v> }"
    # the short form has no template: its one group is the pattern
    bound = binding.bind_values("CONSTRUCT WHERE { ?s ?p ?v }", {"v": ox.NamedNode("urn:v")})
    assert bound.startswith("CONSTRUCT WHERE { VALUES (?v)")


def test_bound_values_give_the_same_answer_as_pyoxigraphs_substitutions():
    store = ox.Store()
    store.add(ox.Quad(ox.NamedNode("urn:a"), ox.NamedNode("urn:p"), ox.Literal("培训")))
    store.add(ox.Quad(ox.NamedNode("urn:b"), ox.NamedNode("urn:p"), ox.Literal("经费")))
    query = "CONSTRUCT { ?s <urn:q> ?v } WHERE { ?s <urn:p> ?v }"
    written = store.query(binding.bind_values(query, {"v": ox.Literal("培训")}))
    substituted = store.query(query, substitutions={ox.Variable("v"): ox.Literal("培训")})
    assert set(written) == set(substituted) == {ox.Triple(ox.NamedNode("urn:a"), ox.NamedNode("urn:q"),
                                                          ox.Literal("培训"))}


@pytest.mark.parametrize("query, expected", [
    # parentheses before the group
    ("SELECT (COUNT(?s) AS ?n) WHERE { ?s <urn:p> ?v }", {("2",)}),
    # a group inside parentheses before the WHERE group
    ("SELECT ?s (EXISTS { ?s <urn:p> ?v } AS ?e) WHERE { ?s <urn:p> ?v }", {("urn:a", "true"), ("urn:c", "true")}),
    ("ASK { ?s <urn:p> ?v }", True),
])
def test_bound_values_restrict_the_where_group(query, expected):
    store = ox.Store()
    for s, o in (("urn:a", "培训"), ("urn:b", "经费"), ("urn:c", "培训")):
        store.add(ox.Quad(ox.NamedNode(s), ox.NamedNode("urn:p"), ox.Literal(o)))
    answer = store.query(binding.bind_values(query, {"v": ox.Literal("培训")}))
    if isinstance(answer, ox.QueryBoolean):
        assert bool(answer) is expected
    else:
        assert {tuple(term.value for term in row) for row in answer} == expected


def test_several_values_are_bound_in_one_row_in_their_order():
    bound = binding.bind_values("ASK { ?a ?b ?c }", {"a": ox.NamedNode("urn:a"), "?c": ox.Literal(3)})
    assert "VALUES (?a ?c) { (<urn:a> \"3\"^^<http://www.w3.org/2001/XMLSchema#integer>) }" in bound


def test_a_simple_string_is_written_with_its_datatype():
    bound = binding.bind_values("ASK { ?a ?b ?q }", {"q": ox.Literal("培训")})
    assert f'"培训"^^<{XSD_STRING}>' in bound
    assert binding.written(ox.Literal("培训", language="zh")) == '"培训"@zh'
    assert binding.written(ox.NamedNode("urn:x")) == "<urn:x>"
    assert binding.written(ox.Literal("1", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer"))) \
        == '"1"^^<http://www.w3.org/2001/XMLSchema#integer>'


def test_a_blank_node_cannot_be_bound():
    with pytest.raises(TypeError, match="blank node"):
        binding.bind_values("ASK { ?a ?b ?c }", {"a": ox.BlankNode()})


def test_a_query_without_a_where_group_cannot_take_values():
    with pytest.raises(ValueError, match="no WHERE group"):
        binding.bind_values("SELECT ?x", {"x": ox.NamedNode("urn:x")})


def test_braces_inside_strings_do_not_move_the_values():
    query = 'SELECT ?x WHERE { ?x <urn:p> "{" }'
    bound = binding.bind_values(query, {"x": ox.NamedNode("urn:x")})
    assert bound == 'SELECT ?x WHERE { VALUES (?x) { (<urn:x>) }  <urn:x> <urn:p> "{" }'



# -- bound IRIs written as constants in the WHERE group's terms ------------------------------------------
def _constants(group: str) -> str | None:
    return binding.with_constants(group, {"v": "<urn:v>"})


@pytest.mark.parametrize("group, expected", [
    # triple patterns, a path's end, an EXISTS in an expression, a GRAPH name, an OPTIONAL
    (" ?s ?p ?v . ?s <urn:p>* ?v FILTER(?v != <urn:x> || EXISTS { ?v ?q ?o }) GRAPH ?v { ?a ?b ?c } "
     "OPTIONAL { ?v ?q ?w } ",
     " ?s ?p <urn:v> . ?s <urn:p>* <urn:v> FILTER(?v != <urn:x> || EXISTS { <urn:v> ?q ?o }) "
     "GRAPH <urn:v> { ?a ?b ?c } OPTIONAL { <urn:v> ?q ?w } "),
    # "$v" is the same variable; "?vv" and the "?v" inside a string, an IRI or a comment are not it
    (' $v ?vv "?v" <urn:?v> # ?v\n ?v ', ' <urn:v> ?vv "?v" <urn:?v> # ?v\n <urn:v> '),
    # left as they are: a sub-SELECT, a MINUS, a VALUES block, BOUND(…)
    (" { SELECT ?v WHERE { ?v ?p ?o } } ?v ?p ?o ", " { SELECT ?v WHERE { ?v ?p ?o } } <urn:v> ?p ?o "),
    (" ?s ?p ?v MINUS { ?s ?q ?v } ?v ?p ?o ", " ?s ?p <urn:v> MINUS { ?s ?q ?v } <urn:v> ?p ?o "),
    (" VALUES (?v ?w) { (<urn:a> 1) } ?s ?p ?v ", " VALUES (?v ?w) { (<urn:a> 1) } ?s ?p <urn:v> "),
    (" VALUES ?v { <urn:a> } ?s ?p ?v ", " VALUES ?v { <urn:a> } ?s ?p <urn:v> "),
    # expressions, BIND … AS, a list
    (" OPTIONAL { ?s ?p ?v } FILTER(!BOUND(?v) || ?v = ?s) BIND(?s AS ?v) ?s ?p (?v) ",
     " OPTIONAL { ?s ?p <urn:v> } FILTER(!BOUND(?v) || ?v = ?s) BIND(?s AS ?v) ?s ?p (?v) "),
    # a blank node's property list is a pattern
    (" ?s ?p [ ?q ?v ] ", " ?s ?p [ ?q <urn:v> ] "),
    # a group that is a sub-SELECT as a whole
    (" SELECT ?v WHERE { ?v ?p ?o } ", " SELECT ?v WHERE { ?v ?p ?o } "),
])
def test_a_bound_iri_is_written_where_its_variable_is_a_term(group, expected):
    assert _constants(group) == expected


def test_a_bound_literal_is_not_written_as_a_constant():
    bound = binding.bind_values("ASK { ?s ?p ?q }", {"q": ox.Literal("培训")})
    assert bound.endswith("?s ?p ?q }")


def test_the_projection_and_the_solution_modifiers_keep_the_variable():
    query = "SELECT ?v (COUNT(*) AS ?n) WHERE { ?s ?p ?v } GROUP BY ?v ORDER BY ?v"
    bound = binding.bind_values(query, {"v": ox.NamedNode("urn:v")})
    assert bound == ("SELECT ?v (COUNT(*) AS ?n) WHERE { VALUES (?v) { (<urn:v>) }  ?s ?p <urn:v> } "
                     "GROUP BY ?v ORDER BY ?v")
    store = ox.Store()
    store.add(ox.Quad(ox.NamedNode("urn:s"), ox.NamedNode("urn:p"), ox.NamedNode("urn:v")))
    assert [(row["v"], row["n"].value) for row in store.query(bound)] == [(ox.NamedNode("urn:v"), "1")]


@pytest.mark.parametrize("query", [
    "SELECT ?s ?v WHERE { ?s <urn:p> ?o MINUS { ?s <urn:q> ?v } }",
    "SELECT ?s ?n ?v WHERE { ?s <urn:p> ?o { SELECT ?s (COUNT(?v) AS ?n) WHERE { ?s ?p ?v } GROUP BY ?s } }",
    "SELECT ?s ?b ?v WHERE { ?s <urn:p> ?o OPTIONAL { ?s <urn:q> ?v } BIND(BOUND(?v) AS ?b) }",
    "SELECT ?s ?v WHERE { ?s <urn:p> ?o FILTER NOT EXISTS { ?s <urn:q> ?v } }",
    "SELECT ?s ?v WHERE { ?s ?p ?v VALUES ?v { <urn:v> <urn:w> } }",
])
def test_values_and_constants_answer_as_pyoxigraphs_substitutions(query):
    store = ox.Store()
    for s, p, o in (("a", "p", "v"), ("b", "p", "w"), ("a", "q", "v"), ("c", "p", "v")):
        store.add(ox.Quad(ox.NamedNode("urn:" + s), ox.NamedNode("urn:" + p), ox.NamedNode("urn:" + o)))
    substituted = store.query(query, substitutions={ox.Variable("v"): ox.NamedNode("urn:v")})
    written = store.query(binding.bind_values(query, {"v": ox.NamedNode("urn:v")}))
    assert sorted(map(str, written)) == sorted(map(str, substituted))

# -- GROUP_CONCAT separators outside ASCII (Virtuoso) ----------------------------------------------------
def test_a_separator_outside_ascii_is_sent_as_a_stand_in_and_put_back():
    text, markers = remote.ascii_separators('SELECT (GROUP_CONCAT(?l; separator="、") AS ?ls) WHERE {}')
    assert "、" not in text and text.isascii()
    assert list(markers.values()) == ["、"]
    stand_in = next(iter(markers))
    assert _restored({"type": "literal", "value": f"甲{stand_in}乙"}, markers) == {"type": "literal", "value": "甲、乙"}


def test_the_stand_in_as_written_is_what_an_engine_puts_between_the_values():
    store = ox.Store()
    for o in ("甲", "乙"):
        store.add(ox.Quad(ox.NamedNode("urn:s"), ox.NamedNode("urn:p"), ox.Literal(o)))
    text, markers = remote.ascii_separators(
        'SELECT (GROUP_CONCAT(?o; separator="、") AS ?x) WHERE { SELECT ?o WHERE { ?s ?p ?o } ORDER BY ?o }')
    value = next(iter(store.query(text)))["x"]
    back = _restored({"type": "literal", "value": value.value}, markers)["value"]
    assert sorted(back.split("、")) == ["乙", "甲"]


def test_an_ascii_separator_is_sent_as_written():
    query = 'SELECT (GROUP_CONCAT(?l; SEPARATOR = ", ") AS ?ls) WHERE {}'
    assert remote.ascii_separators(query) == (query, {})


def test_one_stand_in_per_distinct_separator():
    query = ('SELECT (GROUP_CONCAT(?a; separator="、") AS ?x) (GROUP_CONCAT(?b; separator="、") AS ?y) '
             '(GROUP_CONCAT(?c; separator="；") AS ?z) WHERE {}')
    text, markers = remote.ascii_separators(query)
    assert sorted(markers.values()) == ["、", "；"]
    assert len(set(markers)) == 2


def test_an_escaped_separator_is_read_as_its_character():
    text, markers = remote.ascii_separators('SELECT (GROUP_CONCAT(?a; separator="\\u3001") AS ?x) WHERE {}')
    assert list(markers.values()) == ["、"]
    assert remote._unescape("a\\tb\\\"c\\U00003001") == 'a\tb"c、'


def test_restoring_keeps_the_language_and_the_datatype_and_leaves_other_terms():
    text, markers = remote.ascii_separators('SELECT (GROUP_CONCAT(?a; separator="、") AS ?x) WHERE {}')
    stand_in = next(iter(markers))
    assert _restored({"type": "literal", "value": f"a{stand_in}b", "xml:lang": "zh"}, markers) == \
        {"type": "literal", "value": "a、b", "xml:lang": "zh"}
    typed = {"type": "typed-literal", "value": f"a{stand_in}b", "datatype": "urn:t"}
    assert _restored(typed, markers) == {"type": "literal", "value": "a、b", "datatype": "urn:t"}
    assert _restored({"type": "literal", "value": "no marks"}, markers) == {"type": "literal", "value": "no marks"}
    assert _restored({"type": "uri", "value": f"urn:x{stand_in}"}, markers) == {"type": "uri", "value": f"urn:x{stand_in}"}


def _restored(term: dict, markers) -> dict:
    """One binding of an answer, normalised with the stand-ins ``markers`` put back."""
    answer = {"head": {"vars": ["x"]}, "results": {"bindings": [{"x": dict(term)}]}}
    return results.normalise(answer, markers)[0]["results"]["bindings"][0]["x"]


# -- credentials, never shown -----------------------------------------------------------------------------
def test_credentials_come_from_the_environment(monkeypatch):
    monkeypatch.delenv(remote.USER_ENV, raising=False)
    assert remote.credentials_from_env() is None
    monkeypatch.setenv(remote.USER_ENV, "reader")
    monkeypatch.setenv(remote.PASSWORD_ENV, "s3cret")
    monkeypatch.delenv(remote.AUTH_ENV, raising=False)
    assert remote.credentials_from_env() == ("reader", "s3cret", "basic")
    monkeypatch.setenv(remote.AUTH_ENV, " Digest ")
    assert remote.credentials_from_env() == ("reader", "s3cret", "digest")
    monkeypatch.setenv(remote.AUTH_ENV, "bearer")
    with pytest.raises(StoreError, match="basic or digest"):
        remote.credentials_from_env()


def test_the_store_never_shows_its_credentials():
    store = remote.RemoteStore("http://127.0.0.1:9/sparql", BASE, credentials=("reader", "s3cret", "basic"))
    assert "s3cret" not in repr(store) and "reader" not in repr(store)


def test_an_endpoint_next_to_another_is_named_by_its_last_segment():
    assert remote._sibling("http://127.0.0.1:7878/query?x=1", "update") == "http://127.0.0.1:7878/update"
    assert remote._sibling("http://h/a/b/sparql", "store") == "http://h/a/b/store"


# -- what a server's error becomes ------------------------------------------------------------------------
def _error(kind, reply: str):
    """The exception SPARQLWrapper raises for an HTTP error: the reply's bytes inside its message."""
    return kind(reply.encode("utf-8"))


def test_refused_credentials_say_which_variables_to_set_and_nothing_else():
    refusal = remote._server_refusal(_error(SPARQLExceptions.Unauthorized, "401 wrong password s3cret"), "http://s")
    assert refusal.reason == "store_unavailable"
    assert remote.USER_ENV in refusal.message and "s3cret" not in refusal.message


def test_no_endpoint_at_the_address_is_unavailable():
    refusal = remote._server_refusal(_error(SPARQLExceptions.EndPointNotFound, "not here"), "http://s/q")
    assert refusal.reason == "store_unavailable" and "404" in refusal.message and "http://s/q" in refusal.message


@pytest.mark.parametrize("reply", ["Virtuoso S1T00 Error SR171: Transaction timed out",
                                   "estimated execution time 500 (sec) exceeds the limit", "query timeout"])
def test_a_servers_time_limit_is_a_timeout(reply):
    refusal = remote._server_refusal(_error(SPARQLExceptions.EndPointInternalError, reply), "http://s")
    assert refusal.reason == "timeout"
    assert reply.split()[0] in refusal.message


def test_other_server_errors_are_not_evaluable_with_the_servers_words():
    refusal = remote._server_refusal(_error(SPARQLExceptions.EndPointInternalError, "SQ074: transitive start"),
                                     "http://s")
    assert refusal.reason == "not_evaluable"
    # the server's words alone: neither SPARQLWrapper's own text nor the bytes' b'…' around them
    assert refusal.message == "the SPARQL server could not evaluate the query: SQ074: transitive start"
    refusal = remote._server_refusal(_error(SPARQLExceptions.QueryBadFormed, "bad 语法"), "http://s")
    assert refusal.reason == "not_evaluable" and "bad 语法" in refusal.message


def test_an_excerpt_is_one_line_and_cut_with_an_ellipsis():
    assert remote._excerpt(b"a\n  b\tc") == "a b c"
    assert remote._excerpt("x" * 300) == "x" * 300
    assert remote._excerpt("x" * 301) == "x" * 300 + "…"
    assert remote._excerpt("xyz", limit=2) == "xy…"


# -- reading an answer: deadline and size cap --------------------------------------------------------------
class _Pieces:
    """A response that gives its body in pieces, waiting ``delay`` seconds before each."""

    def __init__(self, pieces: list[bytes], delay: float = 0.0):
        self.pieces = list(pieces)
        self.delay = delay
        self.closed = False

    def read(self, n: int) -> bytes:
        """At most ``n`` bytes of the next piece, as a socket's file gives them."""
        time.sleep(self.delay)
        if not self.pieces:
            return b""
        piece, self.pieces[0] = self.pieces[0][:n], self.pieces[0][n:]
        if not self.pieces[0]:
            self.pieces.pop(0)
        return piece

    def close(self) -> None:
        self.closed = True


def test_a_body_is_read_whole_in_pieces():
    assert remote._read(_Pieces([b"ab", b"cd"]), time.monotonic() + 5, cap=None) == b"abcd"
    big = bytes(range(256)) * 1000
    assert remote._read(_Pieces([big]), time.monotonic() + 5, cap=None) == big


def test_a_body_exactly_at_the_cap_is_read_and_one_byte_more_is_refused():
    assert remote._read(_Pieces([b"ab", b"cd"]), time.monotonic() + 5, cap=4) == b"abcd"
    response = _Pieces([b"ab", b"cde"])
    with pytest.raises(remote._TooBig):
        remote._read(response, time.monotonic() + 5, cap=4)
    assert response.closed


def test_a_body_read_before_its_deadline_is_not_cut_short():
    assert remote._read(_Pieces([b"a", b"b"], delay=0.01), time.monotonic() + 0.5, cap=None) == b"ab"


def test_a_body_still_coming_well_after_the_deadline_is_stopped_at_it():
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        remote._read(_Pieces([b"a"] * 400, delay=0.01), started + 0.1, cap=None)
    assert time.monotonic() - started < 1.0


def test_a_body_still_coming_at_the_deadline_is_a_timeout():
    with pytest.raises(TimeoutError):
        remote._read(_Pieces([b"a"] * 50, delay=0.02), time.monotonic() + 0.2, cap=None)
    with pytest.raises(TimeoutError):
        remote._read(_Pieces([b"a"]), time.monotonic() - 0.001, cap=None)


def test_a_result_too_large_names_its_setting():
    refusal = remote._too_large(1000)
    assert refusal.reason == "too_large" and "1000 bytes" in refusal.message and "max_results" in refusal.message
