"""Through HTTP, parameter values stay data: quotes, braces, `} ; DROP`, SPARQL keywords."""
from __future__ import annotations

import pytest
import requests

INJECTIONS = [
    '" } ; DROP ALL ; SELECT * WHERE { ?s ?p ?o',
    "' } UNION { ?s ?p ?o } #",
    "} ; DROP GRAPH <https://w3id.org/policykg/graph/statements>",
    '述职" ) || true || CONTAINS("',
    "<https://w3id.org/policykg/def/ResidentsCommittee> } UNION { ?x ?y ?z",
    "SELECT ?s WHERE { ?s ?p ?o }",
    "INSERT DATA { <a:b> <a:c> <a:d> }",
    "%00%27%22",
]


def count_triples(live_server):
    """A fingerprint of the data: how many relations, norms and units the API serves."""
    totals = []
    for path in ("/api/queries/relations", "/api/queries/norms", "/api/queries/toc"):
        response = requests.get(live_server + path, params={"page_size": 1}, timeout=30)
        assert response.status_code == 200
        totals.append(response.json()["total"])
    assert all(totals)
    return tuple(totals)


@pytest.mark.parametrize("value", INJECTIONS)
def test_injection_is_data_everywhere(live_server, value):
    before = count_triples(live_server)
    cases = [("/api/queries/search", {"q": value}), ("/api/queries/leaders_of", {"actor": value}),
             ("/api/queries/toc", {"kind": value}), ("/api/queries/clause_text", {"clause": value}),
             ("/api/queries/numeric_norms", {"topic": value}), ("/api/resolve", {"q": value}),
             ("/api/ask", {"q": value}), ("/api/chains", {"from": value, "to": "居委会"})]
    for path, params in cases:
        response = requests.get(live_server + path, params=params, timeout=30)
        assert response.status_code < 500, (path, response.text[:300])
        body = response.json()
        if response.status_code == 200:
            assert body["ok"] is True
            # nothing "matched everything": a search for syntax finds no clause containing it
            if path == "/api/queries/search":
                assert not any(row["exact"] for row in body["rows"])
            if path == "/api/queries/toc":
                assert body["rows"] == []
        else:
            assert body["ok"] is False and body["error"]["code"] in {
                "not_found", "ambiguous", "invalid_parameter"}
    assert count_triples(live_server) == before
