"""using-graph-uri and using-named-graph-uri on /update (SPARQL 1.1 Protocol §2.2.3), on a real server.

The parameters set the dataset of the update's WHERE clause: the same update copies a triple from the
graph the parameter names and from no other; USING/WITH in the text together with the parameters is a 400;
an IRI that is not absolute is a 400; nothing is changed by a refused request.
"""
from __future__ import annotations

import pytest
import requests

from policykg.store.errors import QueryRefused
from policykg.store.update_dataset import with_dataset

TOKEN = "dataset-token"
AUTH = {"Authorization": f"Bearer {TOKEN}", "Accept": "application/json"}   # errors as the JSON envelope
JSON_RESULTS = "application/sparql-results+json"
G1, G2, OUT = "http://example.org/g1", "http://example.org/g2", "http://example.org/out"


@pytest.fixture(scope="module")
def server(server_factory):
    server = server_factory(POLICYKG_ADMIN_TOKEN=TOKEN)
    seed = (f"INSERT DATA {{ GRAPH <{G1}> {{ <http://example.org/a> <http://example.org/p> 1 }} "
            f"GRAPH <{G2}> {{ <http://example.org/b> <http://example.org/p> 2 }} }}")
    assert requests.post(f"{server.url}/update", data={"update": seed}, headers=AUTH, timeout=60).status_code == 204
    return server


def copied(server) -> set[int]:
    query = f"SELECT ?v WHERE {{ GRAPH <{OUT}> {{ ?s ?p ?v }} }}"
    response = requests.get(f"{server.url}/sparql", params={"query": query}, headers={"Accept": JSON_RESULTS},
                            timeout=30)
    assert response.status_code == 200, response.text[:500]
    rows = response.json()["results"]["bindings"]
    return {int(r["v"]["value"]) for r in rows}


def clear(server):
    assert requests.post(f"{server.url}/update", data={"update": f"DROP SILENT GRAPH <{OUT}>"}, headers=AUTH,
                         timeout=60).status_code == 204


COPY = f"INSERT {{ GRAPH <{OUT}> {{ ?s <http://example.org/p> ?v }} }} WHERE {{ ?s <http://example.org/p> ?v }}"


@pytest.mark.parametrize("graph, expected", [(G1, {1}), (G2, {2})])
def test_using_graph_uri_in_a_form_sets_the_default_graph_of_the_where_clause(server, graph, expected):
    clear(server)
    done = requests.post(f"{server.url}/update", data={"update": COPY, "using-graph-uri": graph}, headers=AUTH,
                         timeout=60)
    assert done.status_code == 204, done.text
    assert copied(server) == expected


def test_using_graph_uri_in_the_url_of_a_direct_post(server):
    clear(server)
    done = requests.post(f"{server.url}/update", params={"using-graph-uri": [G1, G2]}, data=COPY.encode(),
                         headers={**AUTH, "Content-Type": "application/sparql-update"}, timeout=60)
    assert done.status_code == 204, done.text
    assert copied(server) == {1, 2}          # two using-graph-uri: their merge is the default graph


def test_using_named_graph_uri_gives_the_named_graphs(server):
    clear(server)
    update = f"INSERT {{ GRAPH <{OUT}> {{ ?s <http://example.org/p> ?v }} }} WHERE {{ GRAPH ?g {{ ?s <http://example.org/p> ?v }} }}"
    done = requests.post(f"{server.url}/update", data={"update": update, "using-named-graph-uri": G2},
                         headers=AUTH, timeout=60)
    assert done.status_code == 204, done.text
    assert copied(server) == {2}


def test_delete_where_gets_the_dataset_too(server):
    clear(server)
    seed = f"INSERT DATA {{ GRAPH <{OUT}> {{ <http://example.org/a> <http://example.org/p> 1 }} }}"
    assert requests.post(f"{server.url}/update", data={"update": seed}, headers=AUTH, timeout=60).status_code == 204
    assert copied(server) == {1}
    # the pattern is matched in g2 only, where <a> has no value 1: nothing is deleted from <out>
    update = f"DELETE WHERE {{ GRAPH <{OUT}> {{ <http://example.org/a> <http://example.org/p> ?v }} }}"
    done = requests.post(f"{server.url}/update", data={"update": update, "using-named-graph-uri": G2},
                         headers=AUTH, timeout=60)
    assert done.status_code == 204, done.text
    assert copied(server) == {1}
    # without the parameter the same update deletes it
    done = requests.post(f"{server.url}/update", data={"update": update}, headers=AUTH, timeout=60)
    assert done.status_code == 204 and copied(server) == set()


@pytest.mark.parametrize("text", [
    f"WITH <{G1}> INSERT {{ ?s ?p ?v }} WHERE {{ ?s ?p ?v }}",
    f"INSERT {{ GRAPH <{OUT}> {{ ?s ?p ?v }} }} USING <{G1}> WHERE {{ ?s ?p ?v }}",
    f"INSERT {{ GRAPH <{OUT}> {{ ?s ?p ?v }} }} USING NAMED <{G1}> WHERE {{ GRAPH ?g {{ ?s ?p ?v }} }}",
])
def test_dataset_in_the_text_and_in_parameters_is_refused(server, text):
    clear(server)
    refused = requests.post(f"{server.url}/update", data={"update": text, "using-graph-uri": G2}, headers=AUTH,
                            timeout=60)
    assert refused.status_code == 400, refused.text
    assert refused.json()["error"]["code"] == "dataset_conflict"
    assert "§2.2.3" in refused.json()["error"]["message"]
    assert copied(server) == set()


def test_a_relative_or_malformed_graph_iri_is_refused(server):
    refused = requests.post(f"{server.url}/update", data={"update": COPY, "using-graph-uri": "not an iri"},
                            headers=AUTH, timeout=60)
    assert refused.status_code == 400 and "using-graph-uri" in refused.json()["error"]["message"]


@pytest.mark.parametrize("text", [
    'INSERT { <a:x> <a:p> "USING WHERE WITH" } WHERE { ?s ?p ?o }',       # keywords inside a literal
    "INSERT { <a:x> <a:p> ?o } WHERE { { SELECT ?o WHERE { ?s ?p ?o } } }",  # a subquery's WHERE
    "# WITH <a:g>\nINSERT { <a:x> <a:p> ?o } WHERE { ?s ?p ?o }",            # a comment
])
def test_the_rewrite_touches_only_the_top_level_where(text):
    out = with_dataset(text, [G1], [])
    assert out.count(f"USING <{G1}>") == 1
    assert out.index(f"USING <{G1}>") < out.rindex("WHERE {") or "SELECT" in out
    assert out.replace(f"USING <{G1}> ", "") == text


def test_no_parameters_leave_the_text_alone():
    text = f"WITH <{G1}> DELETE {{ ?s ?p ?o }} WHERE {{ ?s ?p ?o }}"
    assert with_dataset(text, [], []) is text
    with pytest.raises(QueryRefused):
        with_dataset(text, [G1], [])
