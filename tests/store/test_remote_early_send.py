"""A user query sent to the server before pyoxigraph parses it (store/remote.py, RemoteStore.answer): only
a query of standard SPARQL words whose form the guard read (guard.early_form), never one naming a server's
SQL functions; pyoxigraph's refusal still wins, with the embedded store's message, once the server's answer
is read to the end (the kept connection never holds a pending answer); a form the guard misread is asked
again with its own Accept."""
from __future__ import annotations

import http.client

import pyoxigraph as ox
import pytest

from remote_servers import BASE, REMOTE_BACKENDS
from policykg.store import remote
from policykg.store.backend import OxigraphStore, QueryJob, user_base_iri
from policykg.store.errors import QueryRefused
from policykg.store.guard import early_form, inspect_query
from policykg.store.remote import RemoteStore
from stand_in_server import StandInServer

# Virtuoso declares rdf: itself and answers this; pyoxigraph refuses it (the prefix is not declared).
UNDECLARED = "SELECT ?s WHERE { ?s rdf:type ?c } LIMIT 3"


def _job(query: str, form: str | None = "guard", results="JSON", graph="N_TRIPLES") -> QueryJob:
    """The job /sparql makes (api/sparql.py, _evaluate): with the guard's form unless told."""
    return QueryJob(query, results, graph, None, None, False, 10_000, 10_000_000,
                    form=early_form(inspect_query(query)) if form == "guard" else form)


def _state(store: RemoteStore) -> str | None:
    """The state of this thread's connection to the store's server (http.client's: Idle, Request-sent)."""
    parts = remote.urllib.parse.urlsplit(store.query_url)
    connection = remote._CONNECTIONS.open.get((parts.scheme, parts.netloc))
    return None if connection is None else connection._HTTPConnection__state


@pytest.fixture
def stand_in():
    server = StandInServer()
    yield server
    server.stop()


def _store(url: str, kind: str = "virtuoso") -> RemoteStore:
    store = RemoteStore(url, BASE, timeout=5, credentials=())
    store._kind = kind
    return store


@pytest.mark.parametrize("query, form", [
    ("PREFIX x: <urn:x#> SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a x:C ; x:v 1.5e3 } GROUP BY ?s", "SELECT"),
    ("BASE <urn:b/> CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p _:b FILTER(CONTAINS(STR(?o), 'DEFINE')) }",
     "CONSTRUCT"),
    ("ASK { ?s ?p ?o } # MODIFY in a comment", "ASK"),
    ('DEFINE get:soft "replace" SELECT * WHERE { ?s ?p ?o }', None),   # Virtuoso's own syntax
    ("SELECT * WHERE { ?s ?p ?o OPTION (TRANSITIVE) }", None),
    ('SELECT * WHERE { ?s ?p "x"@en }', None),                          # a language tag: not a keyword
    ("SELECT * WHERE { ?s ?p ?o FILTER(isTRIPLE(?o)) }", None),         # SPARQL 1.2, not 1.1
])
def test_only_a_query_of_standard_words_has_an_early_form(query, form):
    assert early_form(inspect_query(query)) == form


def _events(monkeypatch, *names) -> list:
    """What happens, in order: the request written, the answer's head read, and each of ``names``
    (functions of store/remote.py) called."""
    events = []
    for method, event in (("request", "sent"), ("getresponse", "read")):
        original = getattr(http.client.HTTPConnection, method)
        monkeypatch.setattr(http.client.HTTPConnection, method,
                            lambda self, *a, _o=original, _e=event, **k: events.append(_e) or _o(self, *a, **k))
    for name in names:
        original = getattr(remote, name)
        monkeypatch.setattr(remote, name, lambda *a, _o=original, _e=name: events.append(_e) or _o(*a))
    return events


def test_the_query_is_sent_before_pyoxigraph_parses_it(stand_in, monkeypatch):
    store = _store(stand_in.url)
    store.graph_names()   # the dataset, asked once beforehand
    events = _events(monkeypatch, "parse_query")
    assert store.answer(_job("SELECT ?n WHERE { ?s ?p ?n }"))[0] == "application/sparql-results+json"
    assert events == ["sent", "parse_query", "read"]
    events.clear()
    store.answer(_job("SELECT ?n WHERE { ?s ?p ?n } # 2", form=None))   # no form from the guard
    assert events == ["parse_query", "sent", "read"]                   # parsed first, as before


@pytest.mark.parametrize("query", [
    "PREFIX b: <bif:> SELECT (b:sleep(1) AS ?x) WHERE {}",
    "SELECT (<sql:system>('ls') AS ?x) WHERE { ?s ?p }",          # a syntax error too: that refusal first
    "SELECT * WHERE { ?s ?p ?o . ?s <urn:p> ?x",                   # pyoxigraph's syntax error
    UNDECLARED,
])
def test_a_refusal_is_the_one_given_when_the_query_was_parsed_first(stand_in, query):
    store = _store(stand_in.url)
    store.graph_names()
    with pytest.raises(QueryRefused) as first:
        store.answer(_job(query, form=None))
    asked = len(stand_in.requests)
    with pytest.raises(QueryRefused) as early:
        store.answer(_job(query))
    assert (early.value.reason, early.value.message) == (first.value.reason, first.value.message)
    sent = len(stand_in.requests) - asked
    assert sent == (0 if "bif:" in query or "sql:" in query else 1)   # never a server's SQL function
    assert _state(store) == "Idle"    # the early answer read to the end: nothing pending on the connection
    assert store.select("SELECT ?n WHERE { ?s ?p ?n }")[0]["n"].value == "7"


def test_a_refusal_wins_over_a_server_that_failed(monkeypatch):
    """The server gone: the syntax error is still what the caller is told, as when it was parsed first."""
    store = _store("http://127.0.0.1:9/sparql")
    monkeypatch.setattr(store, "_job_dataset", lambda job, timeout: ([], []))
    with pytest.raises(QueryRefused) as refused:
        store.answer(_job("SELECT * WHERE { ?s ?p }"))
    assert refused.value.reason == "syntax"
    with pytest.raises(QueryRefused) as unavailable:
        store.answer(_job("SELECT * WHERE { ?s ?p ?o }"))
    assert unavailable.value.reason == "store_unavailable"


@pytest.fixture(scope="module")
def embedded(built_dataset):
    return OxigraphStore.from_file(built_dataset, BASE)


@pytest.mark.slow
@pytest.mark.parametrize("backend", REMOTE_BACKENDS)
def test_over_a_real_server_answers_and_refusals_are_the_embedded_stores(backend, remote_url, embedded):
    store = RemoteStore(remote_url(backend), BASE, timeout=5)
    with pytest.raises(QueryRefused) as refused:
        store.answer(_job(UNDECLARED))
    with pytest.raises(QueryRefused) as embedded_refused:
        embedded.answer(_job(UNDECLARED, form=None))
    assert (refused.value.reason, refused.value.message) == (embedded_refused.value.reason,
                                                             embedded_refused.value.message)
    # The next query on this thread's connection gets its own answer, not the refused one's.
    query = "PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> SELECT (COUNT(*) AS ?n) WHERE { ?s rdf:type ?c }"
    assert store.answer(_job(query)) == store.answer(_job(query + " # parsed first", form=None))
    assert _rows(store.answer(_job(query))[1]) == _rows(embedded.answer(_job(query, form=None))[1])


@pytest.mark.slow
@pytest.mark.parametrize("backend", REMOTE_BACKENDS)
def test_a_form_the_guard_misread_is_asked_again_with_its_own_accept(backend, remote_url):
    store = RemoteStore(remote_url(backend), BASE, timeout=5)
    query = "CONSTRUCT { ?s a ?c } WHERE { ?s a ?c } LIMIT 5"
    misread = store.answer(_job(query, form="SELECT", results="JSON", graph="N_TRIPLES"))
    assert misread == store.answer(_job(query, form=None, results="JSON", graph="N_TRIPLES"))
    assert misread[0] == "application/n-triples" and len(list(ox.parse(misread[1], format=ox.RdfFormat.N_TRIPLES))) == 5


def _rows(body: bytes) -> list:
    return [tuple(str(v) for v in s) for s in ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)]


def test_the_proof_of_boolean_variables_is_made_while_the_server_works(stand_in, monkeypatch):
    """Over Virtuoso (1/0 for booleans) a SELECT's proof is made during the wait and kept in
    boolean_variables' cache (bounded: an lru_cache of 256 texts) for the answer to find."""
    store = _store(stand_in.url)
    store.graph_names()
    proof = remote.boolean_variables
    assert proof.cache_info().maxsize == 256
    events = _events(monkeypatch, "boolean_variables")
    query = "SELECT (?n > 1 AS ?big) WHERE { ?s ?p ?n }"
    store.answer(_job(query))
    assert events[:3] == ["sent", "boolean_variables", "read"]
    hits = proof.cache_info().hits
    assert proof(f"BASE <{user_base_iri(BASE)}>\n{query}") == {"big"}   # the text sent: found in the cache
    assert proof.cache_info().hits == hits + 1
