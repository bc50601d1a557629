"""SPARQLWrapper, as researchers use it, for every query form and return format, by GET and POST.

Results are compared with the same query evaluated in-process by pyoxigraph over the
same built dataset (default graph = union of the named graphs).
"""
from __future__ import annotations

import pyoxigraph as ox
import pytest
import rdflib
from SPARQLWrapper import CSV, GET, JSON, JSONLD, N3, POST, POSTDIRECTLY, TSV, TURTLE, URLENCODED, XML, SPARQLWrapper

ARTICLE = "https://w3id.org/policykg/id/doc/suzhou-2011-community-party-building/art/5"
SELECT = ("PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
          "SELECT ?s ?label WHERE { ?s rdfs:label ?label FILTER(lang(?label) = 'zh') } ORDER BY ?s ?label LIMIT 25")
ASK_TRUE = f"ASK {{ <{ARTICLE}> ?p ?o }}"
ASK_FALSE = "ASK { <https://w3id.org/policykg/id/nothing> ?p ?o }"
CONSTRUCT = f"CONSTRUCT {{ <{ARTICLE}> ?p ?o }} WHERE {{ <{ARTICLE}> ?p ?o }}"
DESCRIBE = f"DESCRIBE <{ARTICLE}>"

METHODS = [
    pytest.param((GET, URLENCODED), id="GET"),
    pytest.param((POST, URLENCODED), id="POST-form"),
    pytest.param((POST, POSTDIRECTLY), id="POST-direct"),
]


@pytest.fixture(scope="module")
def reference(built_dataset):
    store = ox.Store()
    store.bulk_load(path=str(built_dataset), format=ox.RdfFormat.TRIG)
    return store


def _client(live_server, method, query, fmt):
    client = SPARQLWrapper(f"{live_server}/sparql")
    client.setMethod(method[0])
    client.setRequestMethod(method[1])
    client.setQuery(query)
    client.setReturnFormat(fmt)
    client.setTimeout(30)
    return client


def _expected_rows(reference, query):
    rows = []
    for solution in reference.query(query, use_default_graph_as_union=True):
        rows.append((solution["s"].value, solution["label"].value))
    assert rows, "the reference query must return rows for the test to mean anything"
    return rows


@pytest.mark.parametrize("method", METHODS)
def test_select_json(live_server, reference, method):
    result = _client(live_server, method, SELECT, JSON).query()
    assert result.response.headers["Content-Type"].startswith("application/sparql-results+json")
    data = result.convert()
    got = [(b["s"]["value"], b["label"]["value"]) for b in data["results"]["bindings"]]
    assert got == _expected_rows(reference, SELECT)
    assert data["head"]["vars"] == ["s", "label"]


@pytest.mark.parametrize("method", METHODS)
def test_select_xml(live_server, reference, method):
    result = _client(live_server, method, SELECT, XML).query()
    assert result.response.headers["Content-Type"].startswith("application/sparql-results+xml")
    doc = result.convert()  # xml.dom.minidom document
    ns = "http://www.w3.org/2005/sparql-results#"
    got = []
    for res in doc.getElementsByTagNameNS(ns, "result"):
        values = {}
        for binding in res.getElementsByTagNameNS(ns, "binding"):
            node = [n for n in binding.childNodes if n.nodeType == n.ELEMENT_NODE][0]
            values[binding.getAttribute("name")] = node.firstChild.data
        got.append((values["s"], values["label"]))
    assert got == _expected_rows(reference, SELECT)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("fmt,media,sep", [(CSV, "text/csv", ","), (TSV, "text/tab-separated-values", "\t")])
def test_select_csv_tsv(live_server, reference, method, fmt, media, sep):
    result = _client(live_server, method, SELECT, fmt).query()
    assert result.response.headers["Content-Type"].startswith(media)
    text = result.convert().decode("utf-8")
    lines = [line for line in text.splitlines() if line]
    header = lines[0].split(sep)
    assert [h.lstrip("?") for h in header] == ["s", "label"]
    expected = _expected_rows(reference, SELECT)
    assert len(lines) - 1 == len(expected)
    # every expected label appears in its row, in order
    for line, (_, label) in zip(lines[1:], expected):
        assert label in line


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("fmt", [JSON, XML, CSV, TSV])
def test_ask(live_server, method, fmt):
    for query, expected in ((ASK_TRUE, True), (ASK_FALSE, False)):
        result = _client(live_server, method, query, fmt).query()
        converted = result.convert()
        if fmt == JSON:
            assert converted["boolean"] is expected
        elif fmt == XML:
            node = converted.getElementsByTagName("boolean")[0]
            assert node.firstChild.data == ("true" if expected else "false")
        else:
            assert converted.decode().strip().lower().endswith("true" if expected else "false")


def _expected_graph(reference, query) -> set:
    triples = set()
    for t in reference.query(query, use_default_graph_as_union=True):
        triples.add((t.subject.value, t.predicate.value, t.object.value))
    assert triples
    return triples


def _as_set(graph: rdflib.Graph) -> set:
    return {(str(s), str(p), str(o)) for s, p, o in graph}


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("query", [CONSTRUCT, DESCRIBE], ids=["CONSTRUCT", "DESCRIBE"])
@pytest.mark.parametrize("fmt,media", [
    (TURTLE, "text/turtle"), (N3, "text/turtle"), (XML, "application/rdf+xml"), (JSONLD, "application/ld+json"),
])
def test_graph_results(live_server, reference, method, query, fmt, media):
    result = _client(live_server, method, query, fmt).query()
    assert result.response.headers["Content-Type"].startswith(media)
    converted = result.convert()
    if isinstance(converted, bytes):  # SPARQLWrapper returns raw bytes for Turtle
        graph = rdflib.Graph().parse(data=converted.decode("utf-8"), format="turtle")
    else:
        graph = converted
    assert _as_set(graph) == _expected_graph(reference, query)


def test_ntriples_by_accept(live_server, reference):
    import requests

    response = requests.get(f"{live_server}/sparql", params={"query": CONSTRUCT},
                            headers={"Accept": "application/n-triples"}, timeout=30)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/n-triples")
    graph = rdflib.Graph().parse(data=response.text, format="nt")
    assert _as_set(graph) == _expected_graph(reference, CONSTRUCT)


def test_rdflib_sparqlstore_reads_the_endpoint_as_a_graph(live_server, reference):
    """rdflib's SPARQLStore, as a notebook uses it: queries, triple patterns, the graphs and the size."""
    from rdflib.plugins.stores.sparqlstore import SPARQLStore

    store = SPARQLStore(f"{live_server}/sparql", returnFormat="json")
    graph = rdflib.Graph(store=store)
    got = sorted((str(s), str(label)) for s, label in graph.query(SELECT))
    assert got == sorted(_expected_rows(reference, SELECT))
    about = {(str(p), str(o)) for _, p, o in graph.triples((rdflib.URIRef(ARTICLE), None, None))}
    expected = {(q.predicate.value, q.object.value)
                for q in reference.quads_for_pattern(ox.NamedNode(ARTICLE), None, None, None)}
    assert about == expected
    assert {str(g) for g in store.contexts()} == {g.value for g in reference.named_graphs()}
    assert len(store) == len(reference)
