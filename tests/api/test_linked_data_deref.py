"""Every minted IRI dereferences: RDF by content negotiation, HTML for browsers, 404 for unknown IRIs."""
from __future__ import annotations

import json

import pyoxigraph as ox
import pytest
import rdflib
import requests

BASE = "https://w3id.org/policykg/"
DOC = f"{BASE}id/doc/suzhou-2011-community-party-building"
ARTICLE = f"{DOC}/art/5"
PATH = "/id/doc/suzhou-2011-community-party-building/art/5"


@pytest.fixture(scope="module")
def reference(built_dataset):
    store = ox.Store()
    store.bulk_load(path=str(built_dataset), format=ox.RdfFormat.TRIG)
    return store


def _subject_triples(reference, iri) -> set:
    """Ground triples about ``iri`` (blank nodes are compared elsewhere: their labels differ per parse)."""
    return {(q.subject.value, q.predicate.value, q.object.value)
            for q in reference.quads_for_pattern(ox.NamedNode(iri), None, None, None)
            if not isinstance(q.object, ox.BlankNode)}


def _as_set(graph) -> set:
    return {(str(s), str(p), str(o)) for s, p, o in graph
            if not isinstance(s, rdflib.BNode) and not isinstance(o, rdflib.BNode)}


@pytest.mark.parametrize("accept,media,fmt", [
    ("text/turtle", "text/turtle", "turtle"),
    ("application/ld+json", "application/ld+json", "json-ld"),
    ("application/n-triples", "application/n-triples", "nt"),
    ("application/rdf+xml;q=0.9, text/turtle;q=0.5", "application/rdf+xml", "xml"),
])
def test_unit_iri_by_content_negotiation(live_server, reference, accept, media, fmt):
    response = requests.get(f"{live_server}{PATH}", headers={"Accept": accept}, timeout=30)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith(media)
    assert "Accept" in response.headers["Vary"]
    graph = rdflib.Graph().parse(data=response.text, format=fmt, publicID=live_server)
    got = _as_set(graph)
    expected = _subject_triples(reference, ARTICLE)
    assert expected and expected <= got
    # fragment sub-nodes ({iri}#...) are described too, and nothing about other resources
    subjects = {s for s, _, _ in got}
    assert subjects <= {ARTICLE} | {s for s in subjects if s.startswith(ARTICLE + "#")}
    fragments = {o for _, _, o in expected if o.startswith(ARTICLE + "#")}
    for fragment in fragments:
        assert _subject_triples(reference, fragment) <= got


def test_format_parameter_gives_compact_json_ld_with_a_context(live_server, reference):
    response = requests.get(f"{live_server}{PATH}", params={"format": "jsonld"}, timeout=30)
    assert response.headers["Content-Type"].startswith("application/ld+json")
    document = json.loads(response.text)
    context = document["@context"]
    assert context["pkg"] == "https://w3id.org/policykg/def/"
    assert context["rdfs"] == "http://www.w3.org/2000/01/rdf-schema#"
    nodes = document.get("@graph", [document])
    keys = {key for node in nodes for key in node if not key.startswith("@")}
    assert keys and all(":" in key and "://" not in key for key in keys)   # short keys: prefix:name
    # and it means the same triples as the Turtle view
    graph = rdflib.Graph().parse(data=response.text, format="json-ld")
    assert _subject_triples(reference, ARTICLE) <= _as_set(graph)


def test_browser_gets_html(live_server):
    response = requests.get(f"{live_server}{PATH}", timeout=30,
                            headers={"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"})
    assert response.status_code in (200, 303) or response.history
    assert response.headers["Content-Type"].startswith("text/html")
    assert "<html" in response.text.lower()


def test_vocabulary_term(live_server, reference):
    term = "https://w3id.org/policykg/def/ResidentsCommittee"
    node = ox.NamedNode(term)
    stored = [q for q in reference.quads_for_pattern(node, None, None, None)]
    assert stored
    response = requests.get(f"{live_server}/def/ResidentsCommittee", headers={"Accept": "text/turtle"}, timeout=30)
    assert response.status_code == 200
    got = list(ox.parse(response.content, format=ox.RdfFormat.TURTLE))
    ground = {(q.predicate, q.object) for q in stored if not isinstance(q.object, ox.BlankNode)}
    assert ground <= {(t.predicate, t.object) for t in got if t.subject == node}
    # blank nodes (OWL restrictions, lists) come with their own description (a CBD)
    blank_objects = [t.object for t in got if t.subject == node and isinstance(t.object, ox.BlankNode)]
    assert len(blank_objects) == len({(q.predicate, q.object) for q in stored if isinstance(q.object, ox.BlankNode)})
    described = {t.subject for t in got}
    assert all(b in described for b in blank_objects)


def test_whole_ontology(live_server, reference):
    response = requests.get(f"{live_server}/def/", headers={"Accept": "application/n-triples"}, timeout=30)
    assert response.status_code == 200
    graph = ox.NamedNode(f"{BASE}graph/ontology")
    expected = ox.Dataset(ox.Quad(q.subject, q.predicate, q.object) for q in
                          reference.quads_for_pattern(None, None, None, graph))
    got = ox.Dataset(ox.Quad(t.subject, t.predicate, t.object)
                     for t in ox.parse(response.content, format=ox.RdfFormat.N_TRIPLES))
    expected.canonicalize(ox.CanonicalizationAlgorithm.UNSTABLE)
    got.canonicalize(ox.CanonicalizationAlgorithm.UNSTABLE)
    assert got == expected


def test_unknown_iris_are_404(live_server):
    # The last ones are no IRI at all (a byte that is not UTF-8, a control character, a space).
    for path in ("/id/doc/suzhou-2011-community-party-building/art/999", "/id/nothing", "/def/NoSuchTerm",
                 "/id/%FF", "/def/%00", "/id/a%20b", "/def/%7Bx%7D"):
        response = requests.get(f"{live_server}{path}", headers={"Accept": "text/turtle"}, timeout=30)
        assert response.status_code == 404
        assert "Traceback" not in response.text


def test_406_for_unavailable_type(live_server):
    response = requests.get(f"{live_server}{PATH}", headers={"Accept": "image/png"}, timeout=30)
    assert response.status_code == 406


GRAPH_NAMES = ("ontology", "document", "statements", "background", "inferred")


@pytest.mark.parametrize("name", GRAPH_NAMES)
@pytest.mark.parametrize("accept, fmt", [("text/turtle", ox.RdfFormat.TURTLE),
                                         ("application/n-triples", ox.RdfFormat.N_TRIPLES),
                                         ("application/ld+json", ox.RdfFormat.JSON_LD)])
def test_graph_iris_dereference_to_the_graph(live_server, reference, name, accept, fmt):
    iri = f"{BASE}graph/{name}"
    response = requests.get(f"{live_server}/graph/{name}", headers={"Accept": accept}, timeout=60)
    assert response.status_code == 200, response.text[:300]
    assert response.headers["Content-Type"].split(";")[0] == accept
    assert response.headers["Content-Type"].count("charset") <= 1
    served = list(ox.parse(response.content, format=fmt))
    stored = list(reference.quads_for_pattern(None, None, None, ox.NamedNode(iri)))
    assert len(served) == len(stored) > 0
    ground = {(t.subject.value, t.predicate.value, t.object.value) for t in served
              if not isinstance(t.subject, ox.BlankNode) and not isinstance(t.object, ox.BlankNode)}
    assert ground == {(q.subject.value, q.predicate.value, q.object.value) for q in stored
                      if not isinstance(q.subject, ox.BlankNode) and not isinstance(q.object, ox.BlankNode)}


def test_a_graph_for_a_browser_and_unknown_graphs(live_server, reference):
    page = requests.get(f"{live_server}/graph/background", headers={"Accept": "text/html"}, timeout=30)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    size = sum(1 for _ in reference.quads_for_pattern(None, None, None, ox.NamedNode(f"{BASE}graph/background")))
    assert f'<strong id="triples">{size}</strong>' in page.text and "背景" in page.text
    assert requests.get(f"{live_server}/graph/background?format=nt", timeout=30).headers[
        "Content-Type"].startswith("application/n-triples")
    for path in ("/graph/nothing", "/graph/", "/graph/%FF"):
        response = requests.get(f"{live_server}{path}", headers={"Accept": "text/turtle"}, timeout=30)
        assert response.status_code == 404, path


def test_every_kind_of_minted_iri_dereferences(live_server, reference):
    """Each kind of IRI under the base (by its first two path segments: def, graph, id/doc,
    id/agent …), three of each, answers 200 with RDF."""
    kinds: dict[str, list[str]] = {}
    for quad in reference:
        for term in (quad.subject, quad.predicate, quad.object, quad.graph_name):
            if isinstance(term, ox.NamedNode) and term.value.startswith(BASE):
                rest = term.value[len(BASE):].split("#")[0]
                kind = "/".join(rest.split("/")[:2]) if rest.startswith("id/") else rest.split("/")[0]
                members = kinds.setdefault(kind, [])
                if len(members) < 3 and rest not in members:
                    members.append(rest)
    assert {"def", "graph", "id/doc", "id/agent"} <= set(kinds)
    for kind, members in kinds.items():
        for rest in members:
            response = requests.get(f"{live_server}/{rest}", headers={"Accept": "application/n-triples"}, timeout=30)
            assert response.status_code == 200, (kind, rest, response.status_code)
            assert list(ox.parse(response.content, format=ox.RdfFormat.N_TRIPLES)), (kind, rest)
