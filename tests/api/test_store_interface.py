"""The service reaches its data only through the Store interface (policykg.store.backend.Store),
so another backend (a remote SPARQL endpoint) can slot in: a store that has nothing but the
interface's methods serves the endpoint, linked data, dumps, VoID, named questions and pages."""
from __future__ import annotations

import inspect
import threading

import pyoxigraph as ox
import pytest
import requests
from werkzeug.serving import make_server

from policykg.api import create_app
from policykg.settings import load_config
from policykg.store.backend import OxigraphStore, Store

INTERFACE = sorted(name for name, member in vars(Store).items()
                   if inspect.isfunction(member) and (not name.startswith("_") or name == "__len__"))


class InterfaceOnly(Store):
    """Forwards the interface's methods to another store and has nothing else (no engine)."""

    __slots__ = ("_inner", "calls")

    def __init__(self, inner: Store):
        self._inner = inner
        self.calls: set[str] = set()


def _forward(name):
    def method(self, *args, **kwargs):
        self.calls.add(name)
        return getattr(self._inner, name)(*args, **kwargs)
    method.__name__ = name
    return method


for _name in INTERFACE:
    setattr(InterfaceOnly, _name, _forward(_name))


@pytest.fixture(scope="module")
def served(built_dataset):
    settings = load_config({"data": str(built_dataset)})
    store = InterfaceOnly(OxigraphStore.from_file(built_dataset, settings.base, settings.include_background))
    app = create_app(settings, store=store)   # the factory takes the store it is given, as it is
    assert app.extensions["policykg"].store is store
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", store
    finally:
        server.shutdown()
        thread.join(30)


def test_the_interface_covers_what_the_service_does():
    assert {"select", "ask", "answer", "dump", "graph_names", "graph_sizes"} <= set(INTERFACE)
    assert not hasattr(InterfaceOnly(None), "ox")


@pytest.mark.parametrize("path, params, accept", [
    ("/sparql", {"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"}, "application/sparql-results+json"),
    ("/sparql", {"query": "CONSTRUCT WHERE { ?s a ?c } LIMIT 3"}, "text/turtle"),
    ("/sparql", {"query": "ASK { ?s ?p ?o }", "default-graph-uri": "https://w3id.org/policykg/graph/ontology"},
     "application/sparql-results+xml"),
    ("/sparql", {}, "text/turtle"),                                   # the service description
    ("/dump.nq", {}, "*/*"),
    ("/dump.ttl", {}, "*/*"),
    ("/void", {}, "text/turtle"),
    ("/graph/statements", {}, "text/turtle"),
    ("/graph/statements", {}, "text/html"),
    ("/def", {}, "text/turtle"),
    ("/def/ResidentsCommittee", {}, "text/turtle"),
    ("/def/0.1.0", {}, "text/turtle"),                                # known only as an object
    ("/id/doc/suzhou-2011-community-party-building/art/5", {}, "application/ld+json"),
    ("/api/queries/leaders_of", {"actor": "居委会"}, "application/json"),
    ("/api/ask", {"q": "经费标准是多少?"}, "application/json"),
    # an entity named by an IRI that has no label: the resolver asks whether the data knows it
    ("/api/queries/responsible_persons", {"task": "https://w3id.org/policykg/id/practice/warmth-plan#quote"},
     "application/json"),
    ("/", {}, "text/html"),
    ("/document", {}, "text/html"),
    ("/actors/ResidentsCommittee", {}, "text/html"),
    ("/norms", {}, "text/html"),
    ("/chain", {"from": "区委", "to": "居委会"}, "text/html"),
    ("/search", {"q": "经费"}, "text/html"),
    ("/healthz", {}, "application/json"),
])
def test_every_kind_of_request_is_answered_through_the_interface(served, path, params, accept):
    url, _ = served
    response = requests.get(url + path, params=params, headers={"Accept": accept}, timeout=60)
    assert response.status_code == 200, (path, response.status_code, response.text[:500])
    assert response.content


def test_the_answers_came_from_the_interface(served):
    url, store = served
    rows = requests.get(url + "/sparql", params={"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"},
                        headers={"Accept": "application/sparql-results+json"}, timeout=60).json()
    assert int(rows["results"]["bindings"][0]["n"]["value"]) == len(store._inner)
    triples = list(ox.parse(requests.get(url + "/dump.nq", timeout=60).content, format=ox.RdfFormat.N_QUADS))
    assert len(triples) == len(store._inner)
    assert {"answer", "dump", "select", "graph_sizes"} <= store.calls
    # and the interface holds nothing the service does not use (after the requests above)
    assert store.calls == set(INTERFACE)
