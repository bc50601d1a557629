"""`policykg load --into` and `policykg serve --store-url` over a real Oxigraph server of their own
(started here: the tests stop and restart it): a server down at start is a clear message and exit
status 2; two service instances over one server agree, and an update through one is seen by the
other; a server gone while serving is 503 ``store_unavailable``, and the service recovers by itself
when the server is back."""
from __future__ import annotations

import subprocess
import sys
import time

import pytest
import requests

from conftest import ROOT, ServerProcess, free_port
from remote_servers import BASE, SparqlServer

pytestmark = pytest.mark.server
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
TOKEN = "remote-admin-token"


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "policykg.cli", *args]


class Service(ServerProcess):
    """A `policykg serve --store-url` process."""

    def __init__(self, store_url: str, log_path, **env):
        super().__init__(None, {"POLICYKG_ADMIN_TOKEN": TOKEN, "POLICYKG_QUERY_WORKERS": "1",
                                "POLICYKG_QUERY_TIMEOUT": "5", **env}, log_path,
                         serve_args=("--store-url", store_url))

    def count(self) -> int:
        response = requests.post(self.url + "/sparql", data={"query": COUNT},
                                 headers={"Accept": "application/sparql-results+json"}, timeout=30)
        assert response.status_code == 200, response.text
        return int(response.json()["results"]["bindings"][0]["n"]["value"])


@pytest.fixture(scope="module")
def own_server(tmp_path_factory):
    server = SparqlServer.oxigraph(tmp_path_factory.mktemp("own-oxigraph")).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def loaded(own_server, built_dataset):
    """The dataset pushed with the command line, as an operator does."""
    proc = subprocess.run(_cli("load", "--into", own_server.url, "--data", str(built_dataset)), cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    return proc


@pytest.fixture(scope="module")
def two_services(own_server, loaded, tmp_path_factory):
    folder = tmp_path_factory.mktemp("services")
    services = [Service(own_server.url, folder / f"serve-{n}.log") for n in range(2)]
    yield services
    for service in services:
        service.stop()


def test_load_pushes_every_graph_and_says_so(loaded):
    assert "6 graphs" in loaded.stderr and "graph/statements" in loaded.stderr
    quads = int(loaded.stderr.rsplit("policykg load: ", 1)[1].split()[0])
    assert quads > 30_000


def test_load_into_a_server_that_is_down_is_exit_2():
    proc = subprocess.run(_cli("load", "--into", f"http://127.0.0.1:{free_port()}/query"), cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 2
    assert "did not answer" in proc.stderr


def test_serve_with_the_server_down_at_start_is_a_clear_message_and_exit_2():
    port = free_port()
    proc = subprocess.run(_cli("serve", "--store-url", f"http://127.0.0.1:{port}/sparql", "--port", str(free_port())),
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert f"the SPARQL server at http://127.0.0.1:{port}/sparql cannot be used" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_two_instances_agree(two_services):
    a, b = two_services
    assert a.count() == b.count() > 30_000
    for path, params in [("/api/queries/leaders_of", {"actor": "居委会"}), ("/healthz", {})]:
        answers = [requests.get(s.url + path, params=params, timeout=60).json() for s in (a, b)]
        for answer in answers:
            answer.pop("pid", None)
            answer.pop("cpus", None)
        assert answers[0] == answers[1]


def test_an_update_through_one_is_seen_by_the_other(two_services):
    a, b = two_services
    before = b.count()                 # now in b's result cache
    assert b.count() == before
    update = (f"INSERT DATA {{ GRAPH <{BASE}graph/statements> {{ <{BASE}id/test/remote-update> "
              f"<http://www.w3.org/2000/01/rdf-schema#label> \"远程更新\"@zh }} }}")
    response = requests.post(a.url + "/update", data={"update": update},
                             headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60)
    assert response.status_code == 204, response.text
    assert a.count() == before + 1     # at once through the instance that applied it
    deadline = time.monotonic() + 10   # the other looks at the data's version once a second
    while b.count() != before + 1 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert b.count() == before + 1
    described = requests.get(b.url + "/id/test/remote-update", headers={"Accept": "text/turtle"}, timeout=30)
    assert described.status_code == 200 and "远程更新" in described.text


def test_the_server_gone_then_back(two_services, own_server):
    a, _ = two_services
    port = own_server.url.split(":")[2].split("/")[0]
    own_server.stop()
    try:
        for path, data in [("/sparql", {"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 1"}),
                           ("/api/queries/leaders_of?actor=居委会&page_size=7", None),
                           ("/healthz", None)]:            # what a load balancer asks
            response = (requests.post(a.url + path, data=data, headers={"Accept": "application/json"}, timeout=60)
                        if data else requests.get(a.url + path, headers={"Accept": "application/json"}, timeout=60))
            assert response.status_code == 503, response.text
            assert response.json()["error"]["code"] == "store_unavailable"
            assert response.headers.get("Retry-After")
        assert a.process.poll() is None                     # the service keeps running
    finally:
        restarted = SparqlServer.oxigraph(own_server.folder, port=int(port)).start()
        own_server.process, own_server._log = restarted.process, restarted._log
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if a.count() > 30_000:
                break
        except AssertionError:
            time.sleep(0.5)
    assert a.count() > 30_000



def test_a_query_at_the_guards_limits_never_crashes_a_server_process(virtuoso_server, tmp_path):
    """A shallow query is answered on the request's own thread (granian's: a 2 MiB stack), but pyoxigraph
    parsing a long operator chain for the guard needs more: such a query goes to a helper's big stack
    (store/evaluation.py). On a request thread the 1,990-operator chain crashes the process. (Over
    Virtuoso, which refuses it; Oxigraph's server 0.5.13 itself crashes on it.)"""
    # The guard's own limit is lower over a server by default (the next test); here the chain must reach the store.
    service = Service(virtuoso_server.url, tmp_path / "serve.log", POLICYKG_MAX_OPERATORS="2000")
    try:
        pid = requests.get(service.url + "/healthz", timeout=30).json()["pid"]
        for query in ("SELECT (" + "1+" * 1990 + "1 AS ?x) {}",
                      "SELECT * WHERE " + "{" * 190 + " BIND(1 AS ?x) " + "}" * 190,
                      "SELECT (1 AS ?x) {}"):
            response = requests.post(service.url + "/sparql", data={"query": query},
                                     headers={"Accept": "application/sparql-results+json"}, timeout=60)
            assert response.status_code in (200, 422), response.text[:300]   # Virtuoso refuses the first two
        assert response.status_code == 200
        assert service.alive()
        assert requests.get(service.url + "/healthz", timeout=30).json()["pid"] == pid   # the same process
    finally:
        service.stop()


def test_a_chain_that_would_stop_an_oxigraph_server_is_refused_before_it_is_sent(own_server, tmp_path):
    """Oxigraph's server 0.5.13 dies parsing a 1,800-operator chain, which the embedded store's limit (2,000)
    lets through: over a server the default limit is 1,000, so the request is refused with the setting's
    name and the shared server stays up for everyone else."""
    service = Service(own_server.url, tmp_path / "serve.log")
    try:
        chain = "SELECT (" + "1+" * 1900 + "1 AS ?x) {}"
        response = requests.post(service.url + "/sparql", data={"query": chain},
                                 headers={"Accept": "application/sparql-results+json"}, timeout=60)
        assert response.status_code == 422 and "max_operators" in response.text, response.text[:300]
        assert own_server.process.poll() is None   # the Oxigraph server is still running
        ok = requests.post(service.url + "/sparql", data={"query": "SELECT (1+1 AS ?x) {}"},
                           headers={"Accept": "application/sparql-results+json"}, timeout=60)
        assert ok.status_code == 200 and ok.json()["results"]["bindings"][0]["x"]["value"] == "2"
    finally:
        service.stop()
