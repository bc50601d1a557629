"""Read-only and no outbound access: updates are refused, SERVICE/FROM/LOAD never fetch anything."""
from __future__ import annotations

import socket
import threading

import pytest
import requests

JSON_RESULTS = "application/sparql-results+json"
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
MARK = "urn:policykg:test:inserted"


class Listener:
    """A loopback TCP listener that records every connection it receives."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/"
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (socket.timeout, OSError):
                continue
            self.connections += 1
            conn.close()

    def close(self):
        self._stop.set()
        self._thread.join(5)
        self.sock.close()


@pytest.fixture
def listener():
    lst = Listener()
    yield lst
    lst.close()


def _count(live_server) -> int:
    response = requests.get(f"{live_server}/sparql", params={"query": COUNT},
                            headers={"Accept": JSON_RESULTS}, timeout=30)
    return int(response.json()["results"]["bindings"][0]["n"]["value"])


def _mark_present(live_server) -> bool:
    response = requests.get(f"{live_server}/sparql", params={"query": f"ASK {{ <{MARK}> ?p ?o }}"},
                            headers={"Accept": JSON_RESULTS}, timeout=30)
    return response.json()["boolean"]


UPDATE = f"INSERT DATA {{ <{MARK}> <{MARK}> <{MARK}> }}"


def test_updates_are_refused_and_change_nothing(live_server):
    before = _count(live_server)
    url = f"{live_server}/sparql"
    attempts = [
        requests.get(url, params={"query": UPDATE}, timeout=30),
        requests.post(url, data={"query": UPDATE}, timeout=30),
        requests.post(url, data=UPDATE, headers={"Content-Type": "application/sparql-query"}, timeout=30),
        requests.post(url, data={"update": UPDATE}, timeout=30),
        requests.get(url, params={"update": UPDATE}, timeout=30),
        requests.post(url, data=UPDATE, headers={"Content-Type": "application/sparql-update"}, timeout=30),
        requests.post(url, data={"query": "PREFIX x: <urn:x:>\n# comment\nDELETE WHERE { ?s ?p ?o }"}, timeout=30),
    ]
    for response in attempts:
        assert 400 <= response.status_code < 500, response.text
        assert "read-only" in response.text
    assert _count(live_server) == before
    assert not _mark_present(live_server)


def test_update_endpoint_absent_without_token(live_server):
    response = requests.post(f"{live_server}/update", data={"update": UPDATE}, timeout=30)
    assert response.status_code == 404
    assert not _mark_present(live_server)


@pytest.mark.parametrize("query", [
    "SELECT * WHERE { SERVICE <{url}> { ?s ?p ?o } }",
    "select * where { service silent <{url}sparql> { ?s ?p ?o } }",
    "PREFIX remote: <{url}>\nSELECT * WHERE {\n  ?s ?p ?o .\n  SeRvIcE remote:x { ?s ?p ?o }\n} LIMIT 1",
    "SELECT * WHERE { { SELECT * WHERE { SERVICE <{url}> { ?a ?b ?c } } } }",
])
def test_service_is_refused_and_never_contacted(live_server, listener, query):
    response = requests.get(f"{live_server}/sparql", params={"query": query.replace("{url}", listener.url)},
                            timeout=30)
    assert response.status_code == 400
    assert "SERVICE" in response.text
    assert listener.connections == 0


def test_from_foreign_iris_are_never_fetched(live_server, listener):
    url = f"{live_server}/sparql"
    for query in (
        f"SELECT * FROM <{listener.url}data.ttl> WHERE {{ ?s ?p ?o }}",
        f"SELECT * FROM NAMED <{listener.url}g> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
        "SELECT * FROM <file:///etc/passwd> WHERE { ?s ?p ?o }",
    ):
        response = requests.get(url, params={"query": query}, headers={"Accept": JSON_RESULTS}, timeout=30)
        assert response.status_code in (200, 400)
        if response.status_code == 200:
            assert response.json()["results"]["bindings"] == []
        assert "root:" not in response.text
    for param in ("default-graph-uri", "named-graph-uri"):
        response = requests.get(url, params={"query": "ASK { ?s ?p ?o }", param: listener.url}, timeout=30)
        assert response.status_code == 400
    assert listener.connections == 0


def test_load_is_refused(live_server, listener):
    url = f"{live_server}/sparql"
    for response in (
        requests.post(url, data={"query": f"LOAD <{listener.url}x.ttl>"}, timeout=30),
        requests.post(url, data={"update": f"LOAD <{listener.url}x.ttl>"}, timeout=30),
        requests.post(url, data={"query": "LOAD <file:///etc/passwd>"}, timeout=30),
    ):
        assert 400 <= response.status_code < 500
    assert listener.connections == 0


def test_keywords_inside_strings_iris_and_comments_are_not_refused(live_server):
    query = ('SELECT ?x WHERE { BIND("SERVICE <http://127.0.0.1:1/> { LOAD }" AS ?x) } # SERVICE <x:y>\n')
    response = requests.get(f"{live_server}/sparql", params={"query": query}, headers={"Accept": JSON_RESULTS},
                            timeout=30)
    assert response.status_code == 200, response.text
    assert response.json()["results"]["bindings"][0]["x"]["value"].startswith("SERVICE")


def test_update_with_admin_token(server_factory, listener, answering_pids):
    server = server_factory(POLICYKG_ADMIN_TOKEN="s3cret-token")
    url = f"{server.url}/update"
    assert requests.post(url, data={"update": UPDATE}, timeout=30).status_code == 401
    wrong = requests.post(url, data={"update": UPDATE}, headers={"Authorization": "Bearer s3cret-tokeX"}, timeout=30)
    assert wrong.status_code == 401
    assert not _mark_present(server.url)
    auth = {"Authorization": "Bearer s3cret-token"}
    load = requests.post(url, data={"update": f"LOAD <{listener.url}x.ttl>"}, headers=auth, timeout=30)
    assert load.status_code == 400
    assert listener.connections == 0
    done = requests.post(url, data=UPDATE, headers={**auth, "Content-Type": "application/sparql-update"}, timeout=30)
    assert done.status_code == 204
    _every_process_sees_the_mark(answering_pids, server.url)
    # /sparql stays read-only even with a token
    refused = requests.post(f"{server.url}/sparql", data={"update": f"DELETE DATA {{ <{MARK}> <{MARK}> <{MARK}> }}"},
                            headers=auth, timeout=30)
    assert refused.status_code == 403
    assert _mark_present(server.url)


def _every_process_sees_the_mark(answering_pids, url: str) -> None:
    """Each server process, asked on new connections until both answered, sees the update."""
    assert len(answering_pids(url, 2, each=lambda: _assert_mark_present(url))) == 2


def _assert_mark_present(url: str) -> None:
    assert _mark_present(url)


def test_update_on_a_store_folder_reaches_every_process(server_factory, tmp_path, answering_pids):
    server = server_factory(POLICYKG_ADMIN_TOKEN="t0ken", POLICYKG_STORE=str(tmp_path / "store"),
                            POLICYKG_QUERY_WORKERS="2")
    assert not _mark_present(server.url)
    done = requests.post(f"{server.url}/update", data={"update": UPDATE},
                         headers={"Authorization": "Bearer t0ken"}, timeout=60)
    assert done.status_code == 204, done.text
    _every_process_sees_the_mark(answering_pids, server.url)
    server.stop()
    again = server_factory(POLICYKG_STORE=str(tmp_path / "store"))   # persisted in the folder
    assert _mark_present(again.url)


SERVICE_UPDATES = [
    "INSERT {{ ?s ?p ?o }} WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
    "DELETE {{ ?s ?p ?o }} WHERE {{ SERVICE SILENT <{url}> {{ ?s ?p ?o }} }}",
    "INSERT DATA {{ <urn:x:a> <urn:x:b> 1 }} ; INSERT {{ ?s ?p ?o }} WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
    "WITH <urn:x:g> INSERT {{ ?s ?p ?o }} WHERE {{ OPTIONAL {{ SERVICE <{url}> {{ ?s ?p ?o }} }} }}",
]


def test_service_in_an_update_is_refused_and_never_contacted(server_factory, listener):
    # /update is as closed to the outside as /sparql: an update that names a remote service is refused
    # before evaluation, changes nothing, and no connection is ever made.
    server = server_factory(POLICYKG_ADMIN_TOKEN="s3rvice-token")
    auth = {"Authorization": "Bearer s3rvice-token"}
    for text in SERVICE_UPDATES:
        response = requests.post(f"{server.url}/update", data={"update": text.format(url=listener.url)},
                                 headers=auth, timeout=30)
        assert response.status_code == 400, (text, response.status_code, response.text)
        assert "SERVICE" in response.text
    assert listener.connections == 0
    leaked = requests.get(f"{server.url}/sparql", params={"query": "ASK { <urn:x:a> ?p ?o }"},
                          headers={"Accept": "application/sparql-results+json"}, timeout=30)
    assert leaked.json()["boolean"] is False
