"""SPARQL 1.1 Protocol details: request forms, parameters, status codes, negotiation, dataset."""
from __future__ import annotations

import json
import re

import pyoxigraph as ox
import pytest
import requests

from policykg.api import create_app

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
GRAPHS = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } } ORDER BY ?g"
JSON_RESULTS = "application/sparql-results+json"


def _count(response) -> int:
    assert response.status_code == 200, response.text
    return int(response.json()["results"]["bindings"][0]["n"]["value"])


@pytest.fixture(scope="module")
def graphs(live_server) -> list[str]:
    response = requests.get(f"{live_server}/sparql", params={"query": GRAPHS},
                            headers={"Accept": JSON_RESULTS}, timeout=30)
    names = [b["g"]["value"] for b in response.json()["results"]["bindings"]]
    assert len(names) >= 2, "the dataset must have at least two named graphs"
    return names


def test_get_form_post_and_direct_post_agree(live_server):
    url = f"{live_server}/sparql"
    by_get = _count(requests.get(url, params={"query": COUNT}, headers={"Accept": JSON_RESULTS}, timeout=30))
    by_form = _count(requests.post(url, data={"query": COUNT}, headers={"Accept": JSON_RESULTS}, timeout=30))
    by_body = _count(requests.post(url, data=COUNT.encode(), timeout=30, headers={
        "Content-Type": "application/sparql-query; charset=utf-8", "Accept": JSON_RESULTS}))
    assert by_get == by_form == by_body > 0


def test_default_graph_is_union_of_named_graphs(live_server, graphs):
    url = f"{live_server}/sparql"
    total = _count(requests.get(url, params={"query": COUNT}, headers={"Accept": JSON_RESULTS}, timeout=30))
    per_graph = 0
    for g in graphs:
        per_graph += _count(requests.get(url, params={"query": f"SELECT (COUNT(*) AS ?n) {{ GRAPH <{g}> {{ ?s ?p ?o }} }}"},
                                         headers={"Accept": JSON_RESULTS}, timeout=30))
    assert total == per_graph


def test_default_graph_uri_selects_one_graph(live_server, graphs):
    url = f"{live_server}/sparql"
    one = graphs[0]
    expected = _count(requests.get(url, params={"query": f"SELECT (COUNT(*) AS ?n) {{ GRAPH <{one}> {{ ?s ?p ?o }} }}"},
                                   headers={"Accept": JSON_RESULTS}, timeout=30))
    got = _count(requests.get(url, params={"query": COUNT, "default-graph-uri": one},
                              headers={"Accept": JSON_RESULTS}, timeout=30))
    assert got == expected
    total = _count(requests.get(url, params={"query": COUNT}, headers={"Accept": JSON_RESULTS}, timeout=30))
    assert got < total


def test_an_empty_graph_field_of_a_query_form_means_no_choice(live_server, graphs):
    url = f"{live_server}/sparql"
    total = _count(requests.get(url, params={"query": COUNT}, headers={"Accept": JSON_RESULTS}, timeout=30))
    blank = requests.post(url, data={"query": COUNT, "default-graph-uri": "", "named-graph-uri": ""},
                          headers={"Accept": JSON_RESULTS}, timeout=30)
    assert _count(blank) == total
    one = _count(requests.get(url, params={"query": COUNT, "default-graph-uri": ["", graphs[0]]},
                              headers={"Accept": JSON_RESULTS}, timeout=30))
    assert one < total


def test_named_graph_uri_restricts_graph_clause(live_server, graphs):
    response = requests.post(f"{live_server}/sparql", data={"query": GRAPHS, "named-graph-uri": graphs[-1]},
                             headers={"Accept": JSON_RESULTS}, timeout=30)
    assert response.status_code == 200
    assert [b["g"]["value"] for b in response.json()["results"]["bindings"]] == [graphs[-1]]


def test_foreign_graph_uri_is_refused(live_server):
    for param in ("default-graph-uri", "named-graph-uri"):
        response = requests.get(f"{live_server}/sparql", timeout=30,
                                params={"query": COUNT, param: "http://example.org/not-ours"})
        assert response.status_code == 400
        assert "not a graph of this service" in response.text


def test_from_clause_selects_own_graph(live_server, graphs):
    url = f"{live_server}/sparql"
    one = graphs[0]
    expected = _count(requests.get(url, params={"query": f"SELECT (COUNT(*) AS ?n) {{ GRAPH <{one}> {{ ?s ?p ?o }} }}"},
                                   headers={"Accept": JSON_RESULTS}, timeout=30))
    got = _count(requests.get(url, params={"query": f"SELECT (COUNT(*) AS ?n) FROM <{one}> WHERE {{ ?s ?p ?o }}"},
                              headers={"Accept": JSON_RESULTS}, timeout=30))
    assert got == expected


@pytest.mark.parametrize("params,status", [
    ({}, None),                                            # service description, not an error
    ({"query": ""}, 400),
    ({"query": ["ASK {}", "ASK {}"]}, 400),
])
def test_missing_or_repeated_query(live_server, params, status):
    response = requests.get(f"{live_server}/sparql", params=params, timeout=30)
    if status is None:
        assert response.status_code == 200
    else:
        assert response.status_code == status
        assert "query" in response.text


def test_post_without_query_and_with_two_queries(live_server):
    url = f"{live_server}/sparql"
    assert requests.post(url, data={"format": "json"}, timeout=30).status_code == 400
    response = requests.post(f"{url}?query=ASK%7B%7D", data="ASK {}", timeout=30,
                             headers={"Content-Type": "application/sparql-query"})
    assert response.status_code == 400
    assert requests.post(url, data=b"ASK {}", headers={"Content-Type": "text/plain"}, timeout=30).status_code == 415


def test_syntax_error_gives_line_and_column(live_server):
    query = "SELECT ?s\nWHERE {\n  ?s ?p \n}"
    response = requests.get(f"{live_server}/sparql", params={"query": query}, timeout=30)
    assert response.status_code == 400
    match = re.search(r"line (\d+), column (\d+)", response.text)
    assert match, response.text
    assert int(match.group(1)) >= 3
    assert "Traceback" not in response.text


@pytest.mark.parametrize("accept,media", [
    ("application/sparql-results+json,application/json;q=0.9,*/*;q=0.1", "application/sparql-results+json"),
    ("text/csv;q=0.5, text/tab-separated-values", "text/tab-separated-values"),
    ("application/sparql-results+xml;q=0.4, text/csv;q=0.8", "text/csv"),
    ("*/*", "application/sparql-results+json"),
    ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "application/sparql-results+xml"),
    (None, "application/sparql-results+json"),
])
def test_accept_with_q_values(live_server, accept, media):
    headers = {"Accept": accept} if accept else {}
    if accept is None:
        headers = {"Accept": ""}
    response = requests.get(f"{live_server}/sparql", params={"query": "SELECT * { ?s ?p ?o } LIMIT 1"},
                            headers=headers, timeout=30)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith(media)


@pytest.mark.parametrize("params,media", [
    ({"format": "csv"}, "text/csv"),
    ({"format": ["json", "json"], "output": "json", "results": "json"}, "application/sparql-results+json"),
    ({"format": "application/sparql-results+xml"}, "application/sparql-results+xml"),
    ({"format": "bogus", "output": "tsv", "unknown": "x"}, "text/tab-separated-values"),
    ({"format": "text/javascript"}, "application/sparql-results+json"),
])
def test_format_parameters_override_accept(live_server, params, media):
    response = requests.get(f"{live_server}/sparql", headers={"Accept": "application/sparql-results+json"},
                            params={"query": "SELECT * { ?s ?p ?o } LIMIT 1", **params}, timeout=30)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith(media)


def test_graph_format_override(live_server):
    query = "CONSTRUCT WHERE { ?s ?p ?o } LIMIT 3"
    for value, media in (("json", "application/ld+json"), ("xml", "application/rdf+xml"),
                         ("nt", "application/n-triples"), ("turtle", "text/turtle")):
        response = requests.get(f"{live_server}/sparql", params={"query": query, "format": value}, timeout=30)
        assert response.status_code == 200
        assert response.headers["Content-Type"].startswith(media)


def test_406_when_nothing_acceptable(live_server):
    select = requests.get(f"{live_server}/sparql", params={"query": "ASK {}"},
                          headers={"Accept": "image/png"}, timeout=30)
    assert select.status_code == 406
    construct = requests.get(f"{live_server}/sparql", params={"query": "CONSTRUCT WHERE { ?s ?p ?o } LIMIT 1"},
                             headers={"Accept": "text/csv"}, timeout=30)
    assert construct.status_code == 406


@pytest.mark.parametrize("accept", ["text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
                                    "application/xhtml+xml"])
def test_a_browser_opening_the_endpoint_is_sent_to_the_editor(live_server, accept):
    response = requests.get(f"{live_server}/sparql", headers={"Accept": accept}, allow_redirects=False, timeout=30)
    assert response.status_code == 303 and response.headers["Location"].endswith("/editor")
    assert "Accept" in response.headers["Vary"]
    # a query from a browser is still answered, and machines still get the description
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    assert requests.get(f"{live_server}/sparql", params={"query": "ASK {}"}, headers={"Accept": browser},
                        timeout=30).status_code == 200
    for machine in ("*/*", "text/turtle", "application/ld+json;q=0.5, */*;q=0.1"):
        described = requests.get(f"{live_server}/sparql", headers={"Accept": machine}, allow_redirects=False,
                                 timeout=30)
        assert described.status_code == 200 and "sparql-service-description" in described.text


def test_service_description(live_server, graphs):
    response = requests.get(f"{live_server}/sparql", timeout=30)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/turtle")
    triples = list(ox.parse(response.content, format=ox.RdfFormat.TURTLE))
    sd = "http://www.w3.org/ns/sparql-service-description#"
    values = {(t.predicate.value, getattr(t.object, "value", None)) for t in triples}
    assert (f"{sd}endpoint", f"{live_server}/sparql") in values
    assert (f"{sd}feature", f"{sd}UnionDefaultGraph") in values
    assert (f"{sd}supportedLanguage", f"{sd}SPARQL11Query") in values
    names = {t.object.value for t in triples if t.predicate.value == f"{sd}name"}
    assert names == set(graphs)
    description = [t.object.value for t in triples if t.predicate.value == "http://purl.org/dc/terms/description"]
    assert any("union" in d for d in description)
    # by Accept, in another format
    as_jsonld = requests.get(f"{live_server}/sparql", headers={"Accept": "application/ld+json"}, timeout=30)
    assert as_jsonld.headers["Content-Type"].startswith("application/ld+json")
    assert json.loads(as_jsonld.text)


def test_the_default_graph_is_a_set_and_the_description_counts_it(live_server):
    """The union default graph repeats no triple, and the description's count is what COUNT(*) finds."""
    def count(query):
        return _count(requests.get(f"{live_server}/sparql", params={"query": query},
                                   headers={"Accept": JSON_RESULTS}, timeout=30))

    everything = count(COUNT)
    assert everything == count("SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o } }")
    rows = requests.get(f"{live_server}/sparql", params={"query": (
        "SELECT ?super WHERE { <https://w3id.org/policykg/def/ResidentsCommittee> "
        "<http://www.w3.org/2000/01/rdf-schema#subClassOf> ?super }")},
        headers={"Accept": JSON_RESULTS}, timeout=30).json()["results"]["bindings"]
    supers = [r["super"]["value"] for r in rows]
    assert supers and len(supers) == len(set(supers)), supers
    description = ox.Store()
    description.load(requests.get(f"{live_server}/sparql", timeout=30).content, format=ox.RdfFormat.TURTLE)
    stated = list(description.query(
        "PREFIX sd: <http://www.w3.org/ns/sparql-service-description#> PREFIX void: <http://rdfs.org/ns/void#> "
        "SELECT ?n WHERE { ?service sd:defaultDataset/sd:defaultGraph/void:triples ?n }"))
    assert [int(r["n"].value) for r in stated] == [everything]


def test_a_query_file_with_a_byte_order_mark_is_read_without_it(live_server):
    response = requests.post(f"{live_server}/sparql", data="\ufeffASK { ?s ?p ?o }".encode("utf-8"),
                             headers={"Content-Type": "application/sparql-query", "Accept": JSON_RESULTS},
                             timeout=30)
    assert response.status_code == 200, response.text
    assert response.json()["boolean"] is True


def test_results_are_utf8_chinese(live_server):
    query = 'SELECT ?l WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?l FILTER(lang(?l) = "zh") } LIMIT 1'
    response = requests.get(f"{live_server}/sparql", params={"query": query, "format": "csv"}, timeout=30)
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    value = response.content.decode("utf-8").splitlines()[1]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in value)


def test_head_with_a_query_answers_headers_only(live_server):
    params = {"query": COUNT}
    head = requests.head(f"{live_server}/sparql", params=params, headers={"Accept": JSON_RESULTS}, timeout=30)
    get = requests.get(f"{live_server}/sparql", params=params, headers={"Accept": JSON_RESULTS}, timeout=30)
    assert head.status_code == 200 and head.content == b""
    assert head.headers["Content-Type"] == get.headers["Content-Type"] == JSON_RESULTS
    assert int(head.headers["Content-Length"]) == len(get.content)


def test_query_parameters_and_a_form_body_are_read_together(live_server):
    # The format chosen in the URL applies to a query sent in a form body, and a
    # repeated, unknown or empty parameter is tolerated.
    response = requests.post(f"{live_server}/sparql?format=csv&format=csv&x=&x=1",
                             data={"query": COUNT, "output": "csv", "unknown": ""}, timeout=30)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.text.splitlines()[0] == "n"


def test_an_unexpected_failure_is_a_500_without_trace_and_the_next_query_is_answered(built_dataset):
    # In process: the only way to make evaluation itself fail unexpectedly.
    app = create_app(data=str(built_dataset))
    state = app.extensions["policykg"]
    real = state.evaluator

    class Broken:
        def run(self, job, timeout):
            raise KeyError("an internal detail")

    client = app.test_client()
    state._evaluator = Broken()
    failed = client.get("/sparql", query_string={"query": "ASK {}"})
    assert failed.status_code == 500
    assert "internal detail" not in failed.get_data(as_text=True)
    assert "Traceback" not in failed.get_data(as_text=True)
    assert failed.headers["Access-Control-Allow-Origin"] == "*"
    state._evaluator = real
    answered = client.get("/sparql", query_string={"query": "ASK {}"}, headers={"Accept": JSON_RESULTS})
    assert answered.status_code == 200 and answered.get_json()["boolean"] is True


def test_parameter_names_are_percent_decoded_like_any_form(live_server):
    # 'qu%65ry' is 'query': a client that escapes names still gets its query answered,
    # and a GET with only other parameters gets the service description.
    answered = requests.get(f"{live_server}/sparql?qu%65ry=ASK%7B%7D", headers={"Accept": JSON_RESULTS}, timeout=30)
    assert answered.status_code == 200 and answered.json()["boolean"] is True
    description = requests.get(f"{live_server}/sparql?format=ttl&xquery=1", timeout=30)
    assert description.status_code == 200
    assert description.headers["Content-Type"].startswith("text/turtle")
    assert b"sparql-service-description" in description.content
