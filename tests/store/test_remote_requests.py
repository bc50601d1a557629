"""The remote store's requests, each kind built once by SPARQLWrapper (store/remote.py, _Template) and
then only filled in with its query: what reaches the server is what SPARQLWrapper itself builds for that
query (method, target, body, Accept, credentials), request after request on one kept connection; Virtuoso
is asked by GET unless the request would be too long; a connection the server closed is opened again.
And the evaluator that answers a shallow query on the request's own thread (store/evaluation.py)."""
from __future__ import annotations

import threading
import time
import urllib.parse

import pytest

from policykg.store import remote
from policykg.store.backend import QueryJob
from policykg.store.errors import QueryRefused
from policykg.store.evaluation import SHALLOW_DEPTH, SHALLOW_OPERATORS, Evaluator, shallow
from policykg.store.guard import check_query
from policykg.store.remote import RemoteStore
from stand_in_server import StandInServer

BASE = "https://w3id.org/policykg/"
DATASET = (["https://w3id.org/policykg/graph/a", "https://w3id.org/policykg/graph/b"],
           ["https://w3id.org/policykg/graph/a", "https://w3id.org/policykg/graph/b", "https://w3id.org/policykg/graph/c"])


@pytest.fixture
def recorder():
    server = StandInServer()
    yield server
    server.stop()


def _store(url: str, kind: str, monkeypatch, auth: str | None = "basic") -> RemoteStore:
    if auth:
        monkeypatch.setenv("POLICYKG_STORE_USER", "reader")
        monkeypatch.setenv("POLICYKG_STORE_PASSWORD", "s3cret")
        monkeypatch.setenv("POLICYKG_STORE_AUTH", auth)
    else:
        monkeypatch.delenv("POLICYKG_STORE_USER", raising=False)
    store = RemoteStore(url, BASE, timeout=5)
    store._kind = kind
    return store


def _params(text: str) -> list[tuple[str, str]]:
    return urllib.parse.parse_qsl(text, keep_blank_values=True, strict_parsing=True)


def _what_sparqlwrapper_builds(store, text, accept, form, dataset, limit, method):
    """The request SPARQLWrapper itself builds for this one query, with nothing kept."""
    request = store._wrapper(text, accept=accept, form=form, dataset=dataset, limit=limit, method=method)._createRequest()
    return request.get_method(), request.selector, request.data, {k.lower(): v for k, v in request.header_items()}


@pytest.mark.parametrize("kind, method", [("oxigraph", "POST"), ("sparql", "POST"), ("virtuoso", "GET")])
def test_each_request_is_what_sparqlwrapper_builds_for_its_query_with_credentials_and_accept(
        recorder, monkeypatch, kind, method):
    store = _store(recorder.url, kind, monkeypatch)
    sent = [  # (query, Accept, form, dataset): kinds of request interleaved, each kind built once
        ("SELECT ?n WHERE { ?s ?p ?n } # 社区 + & = %", remote._JSON, "SELECT", DATASET),
        ("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", remote._NTRIPLES, "CONSTRUCT", DATASET),
        ("SELECT ?n WHERE { ?s ?p ?n } # another text", remote._JSON, "SELECT", DATASET),
        ("ASK {}", remote._JSON, "ASK", None),
        ("SELECT ?n WHERE { ?s ?p ?n } # a third", remote._JSON, "SELECT", ([], ["urn:x"])),
        ("SELECT ?n WHERE { ?s ?p ?n } # and again", remote._JSON, "SELECT", DATASET),
    ]
    for text, accept, form, dataset in sent:
        store._send(text, accept=accept, form=form, timeout=5, dataset=dataset, server_limit=4.0)
    assert len(recorder.requests) == len(sent)
    assert len({r["port"] for r in recorder.requests}) == 1          # one kept connection throughout
    for (text, accept, form, dataset), got in zip(sent, recorder.requests):
        limit = "4000" if kind == "virtuoso" else None
        want_method, target, body, headers = _what_sparqlwrapper_builds(store, text, accept, form, dataset, limit,
                                                                        method)
        assert got["method"] == want_method == method
        assert got["target"] == target
        assert got["body"] == (body or b"")
        received = {k.lower(): v for k, v in got["headers"].items()}
        for name, value in headers.items():
            assert received[name] == value
        assert received["accept"] == accept
        assert received["authorization"] == "Basic cmVhZGVyOnMzY3JldA=="     # reader:s3cret
        params = _params(urllib.parse.urlsplit(got["target"]).query if method == "GET" else got["body"].decode())
        assert ("query", text) in params
        assert (("timeout", "4000") in params) == (kind == "virtuoso")
        default, named = dataset if dataset is not None else ([], [])
        assert [v for k, v in params if k == "default-graph-uri"] == ((default or [remote.EMPTY_GRAPH])
                                                                     if dataset is not None else [])
        assert [v for k, v in params if k == "named-graph-uri"] == ((named or [remote.EMPTY_GRAPH])
                                                                   if dataset is not None else [])
    assert len(store._templates) == 4   # SELECT with DATASET, CONSTRUCT, ASK without dataset, SELECT with urn:x


def test_without_credentials_no_authorization_is_sent(recorder, monkeypatch):
    store = _store(recorder.url, "oxigraph", monkeypatch, auth=None)
    for n in range(3):
        store._send(f"SELECT * WHERE {{}} # {n}", accept=remote._JSON, form="SELECT", timeout=5, dataset=DATASET)
    assert all("authorization" not in {k.lower() for k in r["headers"]} for r in recorder.requests)


def test_a_query_too_long_for_a_get_goes_to_virtuoso_as_a_post(recorder, monkeypatch):
    store = _store(recorder.url, "virtuoso", monkeypatch)
    short = "SELECT * WHERE { ?s ?p ?o }"
    long = short + " #" + "x" * remote.MAX_GET_TARGET
    store._send(short, accept=remote._JSON, form="SELECT", timeout=5, dataset=DATASET)
    store._send(long, accept=remote._JSON, form="SELECT", timeout=5, dataset=DATASET)
    assert [r["method"] for r in recorder.requests] == ["GET", "POST"]
    assert len(recorder.requests[0]["target"]) <= remote.MAX_GET_TARGET
    assert ("query", long) in _params(recorder.requests[1]["body"].decode())


def test_the_get_length_limit_counts_the_whole_target(recorder, monkeypatch):
    """A query just short enough goes as a GET whose target is at most MAX_GET_TARGET long; one
    character more and it is a POST."""
    store = _store(recorder.url, "virtuoso", monkeypatch)
    template = store._template(remote._JSON, "SELECT", DATASET, True, remote.GET)
    room = remote.MAX_GET_TARGET - template.length("")
    assert room > 100
    for text in ("a" * room, "a" * (room + 1)):
        store._send(text, accept=remote._JSON, form="SELECT", timeout=5, dataset=DATASET, server_limit=9.999)
    first, second = recorder.requests
    assert first["method"] == "GET" and len(first["target"]) <= remote.MAX_GET_TARGET
    assert second["method"] == "POST"


def test_a_connection_the_server_closed_is_opened_again_without_a_failure(monkeypatch):
    closing = StandInServer(close_after=True)
    try:
        store = _store(closing.url, "oxigraph", monkeypatch)
        for n in range(5):
            assert store.select(f"SELECT ?n WHERE {{}} # {n}")[0]["n"].value == "7"
        # (and once the service's graph names, asked first)
        assert len(closing.requests) == 6
        assert len({r["port"] for r in closing.requests}) == 6     # a new connection each time
        assert all(r["headers"].get("Authorization") for r in closing.requests)
    finally:
        closing.stop()


def test_digest_credentials_go_through_sparqlwrappers_own_path(recorder, monkeypatch):
    """Digest needs a challenge first: such a store's requests are not kept (the recorder never
    challenges, so SPARQLWrapper's urllib sends them without credentials, once each)."""
    store = _store(recorder.url, "oxigraph", monkeypatch, auth="digest")
    store._send("SELECT * WHERE {}", accept=remote._JSON, form="SELECT", timeout=5, dataset=DATASET)
    template = next(iter(store._templates.values()))
    assert template.pooled is False
    assert len(recorder.requests) == 1 and recorder.requests[0]["method"] == "POST"


# -- the evaluator: shallow queries on the caller's thread ---------------------------------------------
def _job(query: str) -> QueryJob:
    info = check_query(query, 100_000, 200, 2000)
    return QueryJob(query=query, results_format="JSON", graph_format=None, default=None, named=None,
                    dataset_clause=False, max_results=10, max_bytes=1 << 20, shallow=shallow(info))


class _Recording:
    def __init__(self):
        self.threads = []
        self.gate = threading.Event()

    def answer(self, job):
        self.threads.append(threading.get_ident())
        if "wait" in job.query:
            self.gate.wait(10)
        if "fail" in job.query:
            raise KeyError("boom")
        return "application/sparql-results+json", b"{}"


def test_a_shallow_query_is_answered_on_the_callers_thread_and_a_deep_one_by_a_helper():
    store = _Recording()
    evaluator = Evaluator(store, threads=1, inline=True)
    deep = "SELECT * WHERE " + "{" * (SHALLOW_DEPTH + 1) + "}" * (SHALLOW_DEPTH + 1)
    assert evaluator.run(_job("SELECT * WHERE { ?s ?p ?o }"), timeout=5)[1] == b"{}"
    assert evaluator.run(_job(deep), timeout=5)[1] == b"{}"
    assert store.threads[0] == threading.get_ident()
    assert store.threads[1] != threading.get_ident()
    # without inline, even a shallow one goes to a helper
    Evaluator(store, threads=1).run(_job("SELECT * WHERE { ?s ?p ?o }"), timeout=5)
    assert store.threads[2] != threading.get_ident()


def test_shallow_is_bounded_by_operators_and_by_nesting():
    ops = lambda n: "SELECT (" + "1+" * n + "1 AS ?x) {}"                      # noqa: E731
    nest = lambda n: "SELECT * WHERE " + "{" * n + "}" * n                      # noqa: E731
    assert _job(ops(SHALLOW_OPERATORS - 2)).shallow            # the WHERE braces count too
    assert not _job(ops(SHALLOW_OPERATORS)).shallow
    assert _job(nest(SHALLOW_DEPTH)).shallow
    assert not _job(nest(SHALLOW_DEPTH + 1)).shallow


def test_an_inline_answer_is_seen_by_the_watchdog_and_its_failure_is_a_refusal():
    store = _Recording()
    evaluator = Evaluator(store, threads=1, inline=True)
    caller = threading.Thread(target=evaluator.run, args=(_job("SELECT * WHERE { ?s ?p ?o } # wait"), 5))
    caller.start()
    deadline = time.monotonic() + 10
    while evaluator.longest_running() == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert evaluator.longest_running() > 0
    store.gate.set()
    caller.join(10)
    assert evaluator.longest_running() == 0
    with pytest.raises(QueryRefused) as refused:
        evaluator.run(_job("SELECT * WHERE { ?s ?p ?o } # fail"), timeout=5)
    assert refused.value.reason == "internal" and "KeyError" in refused.value.message
    assert evaluator.longest_running() == 0


# -- a graph answer in N-Triples, parsed and written in one pass ---------------------------------------
_NT = ('<urn:s> <urn:p> "\\u793E\\u533A \\"q\\"\\n"@zh .\n'
       '<urn:s> <urn:p> _:nodeID1 .\n'
       '_:nodeID1 <urn:q> "5"^^<http://www.w3.org/2001/XMLSchema#integer> .\n'
       '<urn:s> <urn:p> "plain" .\n').encode()


def _graph_job(fmt: str, max_results: int = 100, max_bytes: int = 1 << 20) -> QueryJob:
    return QueryJob(query="CONSTRUCT WHERE { ?s ?p ?o }", results_format=None, graph_format=fmt, default=None,
                    named=None, dataset_clause=False, max_results=max_results, max_bytes=max_bytes)


@pytest.mark.parametrize("fmt", ["N_TRIPLES", "TURTLE", "RDF_XML", "N3"])
def test_a_graph_answer_is_written_as_the_triples_parsed_into_a_list_would_be(fmt):
    import pyoxigraph as ox
    store = RemoteStore("http://127.0.0.1:9/sparql", BASE)
    reply = remote._Reply(_NT, {"Content-Type": "application/n-triples; charset=UTF-8"})
    media, body = store._graph_answer(reply, _graph_job(fmt))
    rdf_format = getattr(ox.RdfFormat, fmt)
    assert media == rdf_format.media_type
    assert body == ox.serialize(remote._parse_triples(reply), format=rdf_format)
    assert len(list(ox.parse(body, format=rdf_format))) == 4


def test_a_graph_answer_over_the_limits_is_refused_and_comment_lines_do_not_count():
    store = RemoteStore("http://127.0.0.1:9/sparql", BASE)
    reply = remote._Reply(_NT, {"Content-Type": "application/n-triples"})
    with pytest.raises(QueryRefused) as refused:
        store._graph_answer(reply, _graph_job("N_TRIPLES", max_results=3))
    assert refused.value.reason == "too_many_results"
    with pytest.raises(QueryRefused) as refused:
        store._graph_answer(reply, _graph_job("N_TRIPLES", max_bytes=50))
    assert refused.value.reason == "too_large"
    commented = remote._Reply(b"# one\n# two\n# three\n" + _NT, {"Content-Type": "application/n-triples"})
    assert store._graph_answer(commented, _graph_job("N_TRIPLES", max_results=4))[1] == \
        store._graph_answer(reply, _graph_job("N_TRIPLES", max_results=4))[1]


# -- ACKs at once: a server writing its answer in pieces under Nagle's algorithm never waits for ours -----
def test_every_read_of_an_answer_is_preceded_by_a_quick_ack_on_the_connections_socket(recorder, monkeypatch):
    import socket
    store = _store(recorder.url, "oxigraph", monkeypatch, auth=None)
    acked = []
    monkeypatch.setattr(remote, "quick_ack", lambda sock: acked.append(sock))
    store._send("SELECT * WHERE {}", accept=remote._JSON, form="SELECT", timeout=5, dataset=DATASET)
    parts = urllib.parse.urlsplit(recorder.url)
    connection = remote._CONNECTIONS.open[(parts.scheme, parts.netloc)]
    assert len(acked) >= 2 and all(sock is connection.sock for sock in acked)   # before the head, the body
    if hasattr(socket, "TCP_QUICKACK"):
        monkeypatch.undo()
        remote.quick_ack(connection.sock)
        assert connection.sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK) == 1
    remote.quick_ack(None)   # nothing to do without a socket
