"""The query guard at its boundaries: nesting measured as nesting (not as a count of groups), each limit
exactly at its value and one over, and pyoxigraph's syntax errors rewritten into a sentence a person reads.

The survivors of the guard's mutation run (docs/mutation.md) showed where the protocol tests pass whatever
these rules do; each test here fails when one of them slips.
"""
from __future__ import annotations

import pytest

from policykg.store.errors import QueryRefused
from policykg.store.guard import check_query, describe_syntax_error, inspect_query, undeclared_prefix


@pytest.mark.parametrize("text, depth", [
    ("LOAD <x:y>", 0),
    ("ASK {}", 1),
    ("SELECT * WHERE { {} {} {} {} {} {} }", 2),          # siblings do not nest
    ("ASK { {} { { {} } } }", 4),                          # back down, then deeper again
    ("SELECT * WHERE { ?s ?p ?o FILTER((1+2) > 0) }", 3),
])
def test_depth_is_the_deepest_nesting(text, depth):
    assert inspect_query(text).depth == depth


def test_many_sibling_groups_are_not_too_deep():
    info = inspect_query("SELECT * WHERE {" + " {}" * 500 + " }", max_depth=3)
    assert not info.too_deep and info.depth == 2


def test_nesting_exactly_at_the_limit_passes_and_one_more_is_refused():
    at_limit = "ASK " + "{" * 10 + "}" * 10
    assert check_query(at_limit, 1000, 10, 100).depth == 10
    with pytest.raises(QueryRefused) as refused:
        check_query("ASK " + "{" * 11 + "}" * 11, 1000, 10, 100)
    assert refused.value.reason == "too_deep" and "max_nesting" in refused.value.message


def test_length_exactly_at_the_limit_passes_and_one_more_is_refused():
    text = "ASK { ?s ?p ?o }"
    assert check_query(text, len(text), 10, 100).form == "ASK"
    with pytest.raises(QueryRefused) as refused:
        check_query(text + " ", len(text), 10, 100)
    assert refused.value.reason == "too_long"
    assert f"the query is {len(text) + 1} characters long; the limit is {len(text)}" in refused.value.message


def test_operators_exactly_at_the_limit_pass_and_one_more_is_refused():
    assert inspect_query("ASK { {} UNION {} }").operators == 4     # three groups and one UNION
    text = "ASK { {} UNION {} OPTIONAL {} }"
    assert inspect_query(text).operators == 6
    check_query(text, 1000, 10, 6)
    with pytest.raises(QueryRefused) as refused:
        check_query(text, 1000, 10, 5)
    assert refused.value.reason == "too_complex" and "max_operators" in refused.value.message


def test_an_update_is_called_an_update_in_its_refusal():
    with pytest.raises(QueryRefused) as refused:
        check_query("INSERT DATA { <a:b> <a:c> <a:d> }", 10, 10, 100, update=True)
    assert refused.value.message.startswith("the update is ")
    with pytest.raises(QueryRefused) as refused:
        check_query("ASK { <a:b> <a:c> <a:d> }", 10, 10, 100)
    assert refused.value.message.startswith("the query is ")


@pytest.mark.parametrize("engine_says, we_say", [
    # a character class dropped, the one token left named alone
    ("error at 1:5: expected one of ['A' ..= 'Z' | 'a' ..= 'z'], LATERAL",
     "syntax error at line 1, column 5: expected LATERAL"),
    ("error at 2:7: expected one of LATERAL, SERVICE", "syntax error at line 2, column 7: expected one of LATERAL, SERVICE"),
    ("error at 3:1: expected one of ['0' ..= '9'], LATERAL, SERVICE",
     "syntax error at line 3, column 1: expected one of LATERAL, SERVICE"),
    # nothing but character classes
    ("error at 1:9: expected ['a' ..= 'z']", "syntax error at line 1, column 9: unexpected character"),
    # the engine's own reasons, as sentences: a capital that starts a word is lowered, an acronym kept
    ("error at 1:2: expected one of Prefix not found, LATERAL", "syntax error at line 1, column 2: prefix not found"),
    ("error at 1:3: expected one of IRI parsing failed, LATERAL", "syntax error at line 1, column 3: IRI parsing failed"),
    ("something else went wrong", "syntax error: something else went wrong"),
])
def test_syntax_errors_read_as_sentences(engine_says, we_say):
    assert describe_syntax_error(SyntaxError(engine_says)) == we_say


def test_each_operator_sign_counts_once():
    # Each + is one more node of the expression tree: two more signs, two more operators.
    assert inspect_query("ASK { FILTER(1 + 2 + 3 > 0) }").operators - inspect_query("ASK { FILTER(1 > 0) }").operators == 2


@pytest.mark.parametrize("text, found", [
    ("SELECT *\nWHERE { ?s rdf:type ?o }", ("rdf", "rdf:type", 2, 12)),
    ("PREFIX ex: <http://e/>\nSELECT * WHERE {\n  ?s ex:p ?o .\n    ?o  xsd:int 1 }", ("xsd", "xsd:int", 4, 9)),
    ("xsd:int", ("xsd", "xsd:int", 1, 1)),
    ("\nASK { ?s rdf:type ?o }", ("rdf", "rdf:type", 2, 10)),        # a query pasted after an empty line
])
def test_an_undeclared_prefix_is_found_at_its_line_and_column(text, found):
    # Lines and columns count from 1, as editors show them.
    assert undeclared_prefix(text) == found


def test_the_operator_limit_is_lower_over_a_sparql_server_unless_set():
    """Oxigraph's server 0.5.13 dies parsing a chain of 1,800 operators: over any server the default
    limit stays well under it; the embedded store (big-stack parse) keeps 2,000; a set value wins."""
    from policykg.settings import load_config
    from policykg.store.guard import EMBEDDED_MAX_OPERATORS, REMOTE_MAX_OPERATORS, max_operators

    assert max_operators(load_config(environ={})) == EMBEDDED_MAX_OPERATORS == 2000
    remote = {"POLICYKG_STORE_URL": "http://127.0.0.1:9/query"}
    assert max_operators(load_config(environ=remote)) == REMOTE_MAX_OPERATORS < 1600
    assert max_operators(load_config(environ={**remote, "POLICYKG_MAX_OPERATORS": "1500"})) == 1500
    assert max_operators(load_config(environ={"POLICYKG_MAX_OPERATORS": "0"})) == 0
