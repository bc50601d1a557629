"""One base IRI for user queries and updates (SPARQL 1.1 Protocol 2.3: the service defines the
base against which relative IRIs resolve), declared in the service description."""
from __future__ import annotations

import pyoxigraph as ox
import requests

JSON_RESULTS = "application/sparql-results+json"
BASE = "https://w3id.org/policykg/"     # the configured base of the test servers (tests/conftest.py)


def test_a_relative_iri_in_a_query_resolves_against_the_base(live_server):
    response = requests.get(f"{live_server}/sparql", params={"query": "SELECT ?x WHERE { BIND(<test> AS ?x) }"},
                            headers={"Accept": JSON_RESULTS}, timeout=30)
    assert response.status_code == 200, response.text
    assert response.json()["results"]["bindings"] == [{"x": {"type": "uri", "value": f"{BASE}test"}}]
    construct = requests.get(f"{live_server}/sparql", params={"query": "CONSTRUCT { <s> <p> 1 } WHERE {}"},
                             headers={"Accept": "application/n-triples"}, timeout=30)
    assert construct.status_code == 200, construct.text
    assert construct.text.startswith(f"<{BASE}s> <{BASE}p> ")


def test_a_relative_iri_names_the_services_own_resources(live_server):
    # <def/…> is the project's vocabulary: the same answer as with the full IRI.
    query = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p <{}> }"
    counts = []
    for iri in ("def/Actor", f"{BASE}def/Actor"):
        response = requests.get(f"{live_server}/sparql", params={"query": query.replace("{}", iri)},
                                headers={"Accept": JSON_RESULTS}, timeout=30)
        assert response.status_code == 200, response.text
        counts.append(response.json()["results"]["bindings"][0]["n"]["value"])
    assert counts[0] == counts[1] and int(counts[0]) > 0


def test_the_service_description_declares_the_base(live_server):
    triples = list(ox.parse(requests.get(f"{live_server}/sparql", timeout=30).content, format=ox.RdfFormat.TURTLE))
    comments = [t.object.value for t in triples if t.predicate.value == "http://www.w3.org/2000/01/rdf-schema#comment"]
    assert any(f"base IRI <{BASE}>" in c for c in comments), comments


def test_a_relative_iri_in_an_update_resolves_against_the_same_base(server_factory):
    server = server_factory(POLICYKG_ADMIN_TOKEN="base-token")
    done = requests.post(f"{server.url}/update", data={"update": "INSERT DATA { GRAPH <graph/register/t> { "
                                                                 "<id/t/relative> <def/p> 1 } }"},
                         headers={"Authorization": "Bearer base-token"}, timeout=60)
    assert done.status_code == 204, done.text
    ask = f"ASK {{ GRAPH <{BASE}graph/register/t> {{ <{BASE}id/t/relative> <{BASE}def/p> 1 }} }}"
    response = requests.get(f"{server.url}/sparql", params={"query": ask}, headers={"Accept": JSON_RESULTS},
                            timeout=30)
    assert response.json()["boolean"] is True
