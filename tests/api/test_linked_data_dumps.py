"""Dumps of the whole dataset and the VoID description agree with the data."""
from __future__ import annotations

import gzip
import json

import pyoxigraph as ox
import pytest
import requests

VOID = "http://rdfs.org/ns/void#"
SD = "http://www.w3.org/ns/sparql-service-description#"


@pytest.fixture(scope="module")
def reference(built_dataset):
    store = ox.Store()
    store.bulk_load(path=str(built_dataset), format=ox.RdfFormat.TRIG)
    return store


def canonical(quads) -> ox.Dataset:
    """A dataset with blank nodes renamed canonically, so two parses of the same data compare equal."""
    dataset = ox.Dataset(quads)
    dataset.canonicalize(ox.CanonicalizationAlgorithm.UNSTABLE)
    return dataset


def _as_quads(triples) -> list:
    return [ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()) for t in triples]


@pytest.mark.parametrize("kind,fmt,media", [
    ("trig", ox.RdfFormat.TRIG, "application/trig"),
    ("nq", ox.RdfFormat.N_QUADS, "application/n-quads"),
    ("jsonld", ox.RdfFormat.JSON_LD, "application/ld+json"),
])
def test_dataset_dumps_hold_every_quad(live_server, reference, kind, fmt, media):
    response = requests.get(f"{live_server}/dump.{kind}", timeout=60)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith(media)
    got = canonical(ox.parse(response.content, format=fmt))
    assert got == canonical(reference)


def test_turtle_dump_is_the_union(live_server, reference):
    response = requests.get(f"{live_server}/dump.ttl", timeout=60)
    assert response.headers["Content-Type"].startswith("text/turtle")
    got = canonical(_as_quads(ox.parse(response.content, format=ox.RdfFormat.TURTLE)))
    assert got == canonical(_as_quads({q.triple for q in reference}))


def test_dump_is_gzipped_when_asked(live_server):
    plain = requests.get(f"{live_server}/dump.nq", headers={"Accept-Encoding": "identity"}, timeout=60)
    raw = requests.get(f"{live_server}/dump.nq", headers={"Accept-Encoding": "gzip"}, stream=True, timeout=60)
    assert raw.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(raw.raw.read()) == plain.content


def test_unknown_dump_is_404(live_server):
    assert requests.get(f"{live_server}/dump.exe", timeout=30).status_code == 404


@pytest.mark.parametrize("path", ["/.well-known/void", "/void"])
def test_void_counts_per_graph(live_server, reference, path):
    response = requests.get(f"{live_server}{path}", headers={"Accept": "text/turtle"}, timeout=30)
    assert response.status_code == 200
    triples = list(ox.parse(response.content, format=ox.RdfFormat.TURTLE))
    by_subject: dict = {}
    for t in triples:
        by_subject.setdefault(t.subject, {})[t.predicate.value] = t.object
    counts, graph_dumps = {}, {}
    for props in by_subject.values():
        if f"{SD}name" in props:
            counts[props[f"{SD}name"].value] = int(props[f"{VOID}triples"].value)
            graph_dumps[props[f"{SD}name"].value] = props[f"{VOID}dataDump"].value
    expected = {}
    for q in reference:
        expected[q.graph_name.value] = expected.get(q.graph_name.value, 0) + 1
    assert counts == expected
    for name, dump in graph_dumps.items():   # each graph's own dump is its IRI on this service
        assert dump == f"{live_server}/graph/{name.rsplit('/', 1)[-1]}"
        assert requests.head(dump, timeout=30).status_code == 200
    dumps = {t.object.value for t in triples if t.predicate.value == f"{VOID}dataDump"}
    assert f"{live_server}/dump.trig" in dumps
    endpoint = {t.object.value for t in triples if t.predicate.value == f"{VOID}sparqlEndpoint"}
    assert endpoint == {f"{live_server}/sparql"}


def test_void_as_jsonld(live_server):
    response = requests.get(f"{live_server}/void", headers={"Accept": "application/ld+json"}, timeout=30)
    assert response.headers["Content-Type"].startswith("application/ld+json")
    assert json.loads(response.text)
