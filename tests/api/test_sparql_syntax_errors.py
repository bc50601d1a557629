"""Syntax errors a person can act on: the position, the reason, no character-class dumps,
and an undeclared prefix named with the declaration to add (policykg.store.guard)."""
from __future__ import annotations

import pyoxigraph as ox
import pytest
import requests

from policykg.store.guard import describe_syntax_error, undeclared_prefix

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"


def _message(query: str) -> str:
    with pytest.raises(SyntaxError) as caught:
        ox.Store().query(query)
    return describe_syntax_error(caught.value, query)


@pytest.mark.parametrize("query, expected", [
    ("SELECT * WHERE { ?s rdf:type ?o }",
     f"syntax error at line 1, column 21: the prefix 'rdf:' of rdf:type is not declared; add PREFIX rdf: <{RDF}>"),
    ('SELECT * WHERE {\n  ?s ?p "社区 x:y" .\n  ?s pkg:leads ?o }',
     "syntax error at line 3, column 6: the prefix 'pkg:' of pkg:leads is not declared; "
     "add PREFIX pkg: <https://w3id.org/policykg/def/>"),
    ("PREFIX ex: <http://example.org/> SELECT * WHERE { ?s ex:p ?o . ?o foo:bar 1 }",
     "the prefix 'foo:' of foo:bar is not declared; declare it with PREFIX foo: <…>"),
    ("SELECT * WHERE { ?s :p ?o }", "the prefix ':' of :p is not declared"),
    ("SELECT ?x WHERE { ?s ?p ?o } GROUP BY ?s",
     "syntax error at line 1, column 41: the SELECT contains a variable that is unbound"),
    ("SELECT * WHERE { ?s <bad iri> ?o }", "syntax error at line 1, column 30: IRI parsing failed"),
    ("SELECT * WHERE { ?s ?p ?o } LIMIT x", "syntax error at line 1, column 35: expected one of HAVING"),
])
def test_syntax_errors_say_where_and_why(query, expected):
    message = _message(query)
    assert expected in message
    assert "\\u{" not in message and "..=" not in message     # no character classes


def test_colons_in_strings_iris_comments_and_blank_nodes_are_not_prefixes():
    text = ('PREFIX ex: <http://example.org/>  # rdf:type in a comment\n'
            'SELECT * WHERE { _:b ex:p "a:b" ; ex:q <urn:x:y> ; ex:r """c:d""" FILTER(?o<3) }')
    assert undeclared_prefix(text) is None
    assert undeclared_prefix("SELECT * WHERE { ?s ?p ?o . ?o xsd:int 1 }")[:2] == ("xsd", "xsd:int")


def test_the_endpoint_and_update_give_the_missing_prefix(live_server, server_factory):
    response = requests.get(f"{live_server}/sparql", params={"query": "SELECT * WHERE {\n ?s rdf:type ?o }"},
                            headers={"Accept": "application/json"}, timeout=30)
    assert response.status_code == 400
    message = response.json()["error"]["message"]
    assert message.startswith("syntax error at line 2, column 5: the prefix 'rdf:'")
    assert f"PREFIX rdf: <{RDF}>" in message
    server = server_factory(POLICYKG_ADMIN_TOKEN="pfx-token")
    update = requests.post(f"{server.url}/update", data={"update": "INSERT DATA { ex:a ex:b ex:c }"},
                           headers={"Authorization": "Bearer pfx-token", "Accept": "application/json"}, timeout=60)
    assert update.status_code == 400
    assert "the prefix 'ex:' of ex:a is not declared" in update.json()["error"]["message"]
