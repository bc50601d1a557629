"""Parameter values are data: quotes, braces and SPARQL keywords never change a query."""
from __future__ import annotations

import pytest

from policykg.queries.library import ParameterError, load_library, run_query

BASE = "https://w3id.org/policykg/"
INJECTIONS = [
    '" } ; DROP ALL ; SELECT * WHERE { ?s ?p ?o',
    "' } UNION { ?s ?p ?o } #",
    "} ; DROP GRAPH <https://w3id.org/policykg/graph/statements>",
    '述职" ) || true || CONTAINS("',
    "<https://w3id.org/policykg/def/ResidentsCommittee> } UNION { ?x ?y ?z",
    "?s ?p ?o",
    "FILTER(true)",
    "\\u0022) }",
    "居委会'} ; DROP",
    "INSERT DATA { <a:b> <a:c> <a:d> }",
]


@pytest.mark.parametrize("value", INJECTIONS)
def test_search_treats_injection_as_a_literal(store, resolver, value):
    before = len(store)
    result = run_query(load_library()["search"], store, {"q": value}, resolver, resolver.clauses)
    # Only clauses that really contain the string or its words match; the data is untouched.
    for row in result["rows"]:
        assert row["exact"] == 0 or value in (row["passage"] or "")
        assert row["exact"] == 1 or row["words"] >= 1
    assert not any(r["exact"] for r in result["rows"])
    assert len(store) == before


@pytest.mark.parametrize("value", INJECTIONS)
@pytest.mark.parametrize("name, param", [("leaders_of", "actor"), ("clause_text", "clause"),
                                         ("numeric_norms", "topic"), ("toc", "kind")])
def test_entity_parameters_refuse_or_bind_injection(store, resolver, value, name, param):
    before = len(store)
    try:
        result = run_query(load_library()[name], store, {param: value}, resolver, resolver.clauses)
    except ParameterError as exc:
        assert exc.parameter == param and exc.code in {"not_found", "ambiguous", "invalid_parameter"}
    else:
        # A value that happens to contain a name may resolve to that name — as data, never as syntax.
        assert name == "toc" and result["rows"] == [] or name != "toc"
    assert len(store) == before


def test_a_bound_value_equal_to_query_text_is_not_evaluated(store, resolver):
    # kind is bound as a plain literal: the text of a FILTER matches no unit kind.
    result = run_query(load_library()["toc"], store, {"kind": '") || true || ("'}, resolver, resolver.clauses)
    assert result["rows"] == []
    assert len(run_query(load_library()["toc"], store, {"kind": "article"}, resolver, resolver.clauses)["rows"]) == 22
