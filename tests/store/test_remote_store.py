"""The store's contract over each backend: embedded pyoxigraph, Oxigraph's server and Virtuoso (both
real servers started by the tests, tests/remote_servers.py) give the same answers to every method of
the Store interface, refuse what the guard refuses, and keep our time limit; a server that is gone is
``store_unavailable``."""
from __future__ import annotations

import json
import socket
import threading
import time
import urllib.parse
from collections import Counter

import pyoxigraph as ox
import pytest

from remote_servers import BACKENDS, BASE, REMOTE_BACKENDS
from policykg.store.backend import OxigraphStore, QueryJob
from policykg.store.errors import QueryRefused, StoreError
from policykg.store.binding import bind_values
from policykg.store.remote import RemoteStore, ascii_separators, dataset_clauses

PKG = BASE + "def/"
ART5 = BASE + "id/doc/suzhou-2011-community-party-building/art/5"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def embedded(built_dataset):
    return OxigraphStore.from_file(built_dataset, BASE)


@pytest.fixture(scope="module", params=BACKENDS)
def store(request, embedded, remote_url):
    if request.param == "embedded":
        return embedded
    return RemoteStore(remote_url(request.param), BASE, timeout=5)


XSD = "http://www.w3.org/2001/XMLSchema#"
# Oxigraph (embedded and server) keeps xsd:integer's subtypes as xsd:integer ("4808"^^xsd:nonNegativeInteger
# comes back as "4808"^^xsd:integer); Virtuoso keeps the type it was given (docs/operations.md, engine quirks).
INTEGER_SUBTYPES = {XSD + t for t in ("nonNegativeInteger", "positiveInteger", "nonPositiveInteger",
                                      "negativeInteger", "long", "int", "short", "byte", "unsignedLong",
                                      "unsignedInt", "unsignedShort", "unsignedByte")}


def normal(term):
    if isinstance(term, ox.Literal) and term.datatype.value in INTEGER_SUBTYPES:
        return ox.Literal(term.value, datatype=ox.NamedNode(XSD + "integer"))
    return term


def canonical(triples, graph_of=lambda t: ox.DefaultGraph()) -> set:
    """Triples (or quads) with blank nodes relabelled canonically (stores name blank nodes their own
    way) and integer subtypes read as xsd:integer."""
    dataset = ox.Dataset(ox.Quad(t.subject, t.predicate, normal(t.object), graph_of(t)) for t in triples)
    dataset.canonicalize(ox.CanonicalizationAlgorithm.UNSTABLE)
    return set(dataset)


def shape(triples) -> Counter:
    """Triples with any blank node written as _: (for triples pointing to an IRI, whose blank subjects
    are not described)."""
    blank = lambda t: "_:" if isinstance(t, ox.BlankNode) else str(normal(t))
    return Counter((blank(t.subject), str(t.predicate), blank(t.object)) for t in triples)


def job(query, results="JSON", graph="N_TRIPLES", max_results=10_000, max_bytes=10_000_000, **kw) -> QueryJob:
    return QueryJob(query, results, graph, kw.get("default"), kw.get("named"), kw.get("dataset_clause", False),
                    max_results, max_bytes)


def test_sizes_and_graphs(store, embedded):
    assert store.graph_names() == embedded.graph_names()
    assert store.default_graph_names() == embedded.default_graph_names()
    assert store.graph_sizes() == embedded.graph_sizes()
    assert len(store) == len(embedded) > 30_000


def test_select_and_ask_with_bindings(store, embedded):
    query = ("PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
             "SELECT ?c ?label WHERE { ?c rdfs:label ?label FILTER(lang(?label) = 'zh') } ORDER BY ?label")
    bindings = {"c": ox.NamedNode(PKG + "ResidentsCommittee")}
    rows = store.select(query, bindings)
    assert rows == embedded.select(query, bindings) and rows
    assert rows[0]["label"] == ox.Literal("居民委员会", language="zh")
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    assert store.select(count) == embedded.select(count)       # the default graph: the union, as embedded
    assert store.ask("ASK { ?s a ?c }", {"c": ox.NamedNode(PKG + "ResidentsCommittee")}) is False
    assert store.ask("ASK { ?c a ?k }", {"c": ox.NamedNode(PKG + "ResidentsCommittee")}) is True


def test_text_outside_ascii_comes_back_whole(store, embedded):
    """Chinese bound into a query and through STR(), CONTAINS() and GROUP_CONCAT's separator (、) comes
    back as the embedded store gives it: Virtuoso 7.2.5 wrote "?" for both (docs/operations.md)."""
    query = ("PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
             "SELECT ?q (STR(?q) AS ?word) (CONTAINS(\"居民委员会\", STR(?q)) AS ?found) "
             "(GROUP_CONCAT(?name; separator=\"、\") AS ?names) WHERE { "
             "VALUES ?name { \"乙\" \"甲\" } }"
             " GROUP BY ?q")
    [row] = store.select(query, {"q": "委员"})
    [theirs] = embedded.select(query, {"q": "委员"})
    assert row["word"] == theirs["word"] == ox.Literal("委员")
    assert sorted(row["names"].value.split("、")) == sorted(theirs["names"].value.split("、")) == ["乙", "甲"]
    # Virtuoso writes booleans as 1/0; ?found is proven boolean by the query (CONTAINS), so it is true again
    assert row["found"] == theirs["found"] == ox.Literal(True)


def test_linked_data_reads(store, embedded):
    for iri in (PKG + "ResidentsCommittee", ART5, PKG + "leadsAndGuides"):
        assert canonical(store.triples_about(iri)) == canonical(embedded.triples_about(iri)), iri
        assert shape(store.triples_pointing_to(iri)) == shape(embedded.triples_pointing_to(iri)), iri
    assert store.triples_about("not an iri") == []
    ontology = BASE + "graph/ontology"
    assert canonical(store.graph_triples(ontology)) == canonical(embedded.graph_triples(ontology))


def test_blank_node_descriptions_are_followed(store, embedded):
    """An OWL class with restrictions and lists: chains of blank nodes, followed to the end."""
    query = ("SELECT ?c (COUNT(*) AS ?n) WHERE { ?c ?p ?b . FILTER(isIRI(?c) && isBlank(?b)) } "
             "GROUP BY ?c ORDER BY DESC(?n) ?c LIMIT 1")
    iri = embedded.select(query)[0]["c"].value
    about = embedded.triples_about(iri)
    assert any(isinstance(t.subject, ox.BlankNode) for t in about)
    assert canonical(store.triples_about(iri)) == canonical(about)


@pytest.mark.parametrize("fmt", ["N_QUADS", "TRIG", "TURTLE"])
def test_dumps(store, embedded, tmp_path, fmt):
    rdf_format = getattr(ox.RdfFormat, fmt)
    mine, theirs = tmp_path / "store", tmp_path / "embedded"
    store.dump(str(mine), rdf_format)
    embedded.dump(str(theirs), rdf_format)
    a = list(ox.parse(path=str(mine), format=rdf_format))
    b = list(ox.parse(path=str(theirs), format=rdf_format))
    assert len(a) == len(b) > 0
    graph = (lambda q: q.graph_name) if rdf_format.supports_datasets else (lambda t: ox.DefaultGraph())
    assert canonical(a, graph) == canonical(b, graph)


@pytest.mark.parametrize("query, results", [
    ("SELECT ?s ?label WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?label } ORDER BY ?s STR(?label) LANG(?label)", "JSON"),
    ("SELECT ?s ?label WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?label } ORDER BY ?s STR(?label) LANG(?label)", "XML"),
    ("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g", "CSV"),
    ("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g", "TSV"),
    ("ASK { ?s a <https://w3id.org/policykg/def/RelationStatement> }", "JSON"),
    ("ASK { ?s a <https://w3id.org/policykg/def/Nothing> }", "XML"),
])
def test_user_queries_answer_the_same_rows(store, embedded, query, results):
    fmt = getattr(ox.QueryResultsFormat, results)
    mine_type, mine = store.answer(job(query, results))
    theirs_type, theirs = embedded.answer(job(query, results))
    assert mine_type == theirs_type
    a, b = _rows(mine, fmt), _rows(theirs, fmt)
    assert a == b and a not in ([], None)


def _rows(body: bytes, fmt):
    if fmt == ox.QueryResultsFormat.CSV:   # lossy, so not parsed: the same text, line for line
        return body.decode("utf-8").splitlines()
    result = ox.parse_query_results(body, format=fmt)
    if isinstance(result, ox.QueryBoolean):
        return bool(result)
    names = [v.value for v in result.variables]
    return [tuple(str(s[n]) if s[n] is not None else None for n in names) for s in result]


def test_graph_answers_in_any_format(store, embedded):
    query = "CONSTRUCT { ?s a ?c } WHERE { ?s a ?c . FILTER(?c = <https://w3id.org/policykg/def/Norm>) }"
    for fmt in ("TURTLE", "N_TRIPLES", "JSON_LD", "RDF_XML"):
        rdf_format = getattr(ox.RdfFormat, fmt)
        media, body = store.answer(job(query, graph=fmt))
        assert media == rdf_format.media_type
        assert set(ox.parse(body, format=rdf_format)) == set(ox.parse(embedded.answer(job(query, graph=fmt))[1],
                                                                      format=rdf_format))


def test_protocol_and_query_datasets(store, embedded):
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    ontology = BASE + "graph/ontology"
    for kw in ({"default": [ontology]}, {"default": [], "named": [ontology]}, {"default": ["http://example.org/x"]}):
        assert _rows(store.answer(job(count, **kw))[1], ox.QueryResultsFormat.JSON) == \
            _rows(embedded.answer(job(count, **kw))[1], ox.QueryResultsFormat.JSON), kw
    from_query = f"SELECT (COUNT(*) AS ?n) FROM <{ontology}> WHERE {{ ?s ?p ?o }}"
    expected = [(f'"{embedded.graph_sizes()[ontology]}"^^<http://www.w3.org/2001/XMLSchema#integer>',)]
    assert _rows(store.answer(job(from_query, dataset_clause=True))[1], ox.QueryResultsFormat.JSON) == expected


def test_a_graph_elsewhere_is_empty_and_never_fetched(store):
    """FROM <http://…> names a graph the store does not hold: empty, as embedded; the server is
    never asked to fetch it (the protocol dataset we send names only the store's graphs)."""
    hits = _listener()
    query = f"SELECT (COUNT(*) AS ?n) FROM <http://127.0.0.1:{hits.port}/data.ttl> WHERE {{ ?s ?p ?o }}"
    body = store.answer(job(query, dataset_clause=True))[1]
    assert _rows(body, ox.QueryResultsFormat.JSON) == [('"0"^^<http://www.w3.org/2001/XMLSchema#integer>',)]
    assert hits.connections == 0


@pytest.mark.parametrize("query, reason", [
    ("SELECT * WHERE { ?s ?p }", "syntax"),
    ("INSERT DATA { <urn:a> <urn:b> <urn:c> }", "syntax"),               # an update is not a query
    ('DEFINE get:soft "replace" SELECT * WHERE { ?s ?p ?o }', "syntax"),  # a server's own syntax
    ("PREFIX b: <bif:> SELECT (b:sleep(1) AS ?x) WHERE {}", "not_evaluable"),
    ("SELECT (<sql:system>('ls') AS ?x) WHERE {}", "not_evaluable"),
])
def test_what_the_guard_refuses_never_reaches_the_server(store, query, reason):
    with pytest.raises(QueryRefused) as refused:
        store.answer(job(query))
    assert refused.value.reason == reason


def test_limits(store):
    with pytest.raises(QueryRefused) as refused:
        store.answer(job("SELECT * WHERE { ?s a ?c }", max_results=10))
    assert refused.value.reason == "too_many_results"
    with pytest.raises(QueryRefused) as refused:
        store.answer(job("SELECT * WHERE { ?s a ?c } LIMIT 5000", max_bytes=1000))
    assert refused.value.reason == "too_large"


@pytest.mark.parametrize("backend", REMOTE_BACKENDS)
def test_a_query_over_the_time_limit_is_stopped_on_time(backend, remote_url):
    store = RemoteStore(remote_url(backend), BASE, timeout=1.5)
    slow = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . FILTER(?c != ?i) }"
    started = time.monotonic()
    with pytest.raises(QueryRefused) as refused:
        store.answer(job(slow))
    assert refused.value.reason == "timeout"
    assert time.monotonic() - started < 1.5 * 3
    assert store.ask("ASK { ?s ?p ?o }")     # and the server answers the next one


def test_a_slow_server_meets_our_time_limit():
    """A server that accepts the connection and never answers: refused at the limit, not hung."""
    silent = _listener(answer=False)
    store = RemoteStore(f"http://127.0.0.1:{silent.port}/sparql", BASE, timeout=1.0)
    store._kind = "sparql"
    started = time.monotonic()
    with pytest.raises(QueryRefused) as refused:
        store.answer(job("SELECT * WHERE { ?s ?p ?o }"))
    assert refused.value.reason == "timeout"
    assert 0.9 < time.monotonic() - started < 4


def test_a_server_that_is_gone():
    port = _closed_port()
    store = RemoteStore(f"http://127.0.0.1:{port}/sparql", BASE, timeout=2)
    with pytest.raises(QueryRefused) as refused:
        store.select("SELECT * WHERE { ?s ?p ?o } LIMIT 1")
    assert refused.value.reason == "store_unavailable"
    assert f"127.0.0.1:{port}" in refused.value.message
    with pytest.raises(StoreError, match="cannot be used"):
        store.check()


def test_credentials_are_never_shown(monkeypatch):
    monkeypatch.setenv("POLICYKG_STORE_USER", "alice")
    monkeypatch.setenv("POLICYKG_STORE_PASSWORD", "s3cret-word")
    store = RemoteStore(f"http://127.0.0.1:{_closed_port()}/sparql", BASE, timeout=2)
    with pytest.raises(QueryRefused) as refused:
        store.select("SELECT * WHERE { ?s ?p ?o } LIMIT 1")
    assert "s3cret-word" not in refused.value.message and "s3cret-word" not in repr(store)


def test_bindings_are_joined_first_in_the_where_group():
    text = bind_values('SELECT ?a (EXISTS { ?a ?p "{" } AS ?e) WHERE { ?a ?p ?o } # {',
                       {"a": ox.NamedNode("urn:x"), "o": ox.Literal('say "}"', language="zh")})
    assert text == ('SELECT ?a (EXISTS { ?a ?p "{" } AS ?e) WHERE { VALUES (?a ?o) { (<urn:x> "say \\"}\\""@zh) } '
                    ' <urn:x> ?p ?o } # {')


def test_bound_strings_are_written_with_their_datatype():
    text = bind_values("SELECT * WHERE { ?s ?p ?o }", {"o": "培训", "n": 3, "l": ox.Literal("x", language="zh")})
    assert '"培训"^^<http://www.w3.org/2001/XMLSchema#string> "3"^^<http://www.w3.org/2001/XMLSchema#integer> "x"@zh' \
        in text


def test_separators_outside_ascii_are_sent_as_ascii_stand_ins():
    text, markers = ascii_separators('SELECT (GROUP_CONCAT(?a; separator="、") AS ?x) '
                                     '(GROUP_CONCAT(?b; SEPARATOR = "\\u3001") AS ?y) (GROUP_CONCAT(?c; separator=" ") AS ?z) '
                                     'WHERE { ?a ?b ?c FILTER(?c != "separator=\\"、\\"") }')
    assert text.isascii() is False and 'separator="、"' not in text.split("WHERE")[0]
    assert list(markers.values()) == ["、"] and 'separator=" "' in text
    assert all(stand_in.isascii() for stand_in in markers)


def test_dataset_clauses_are_read_as_the_parser_would():
    text = ('BASE <http://b.example/> PREFIX g: <http://g.example/> # FROM <http://comment/>\n'
            'SELECT * FROM <rel> FROM g:one FROM NAMED <http://n.example/> WHERE { ?s ?p "FROM <http://x/>" }')
    assert dataset_clauses(text, BASE) == (["http://b.example/rel", "http://g.example/one"], ["http://n.example/"])


def test_loading_replaces_each_graph_and_checks_counts(oxigraph_server, built_dataset, tmp_path):
    store = RemoteStore(oxigraph_server.url, BASE)
    before = store.graph_sizes()
    version = store.read_version()
    loaded = store.load(built_dataset)
    assert loaded == before                           # replaced, not added to
    assert store.graph_sizes() == before
    assert store.read_version() not in (None, version)
    assert not [g for g in _all_graphs(store) if g.startswith("urn:policykg:loading:")]
    bad = tmp_path / "bad.nq"
    bad.write_text("<urn:a> <urn:b> <urn:c> .\n", encoding="utf-8")
    with pytest.raises(StoreError, match="outside the named graphs"):
        store.load(bad)


def _all_graphs(store) -> list[str]:
    """Every graph on the server, the service's or not (no protocol dataset)."""
    body = store._send("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }", accept="application/sparql-results+json",
                       form="SELECT", timeout=10, dataset=None).body
    return [r["g"]["value"] for r in json.loads(body)["results"]["bindings"]]


class _Listener:
    def __init__(self, answer: bool):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.held = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            self.held.append(conn)   # read nothing, answer nothing


def _listener(answer: bool = False) -> _Listener:
    return _Listener(answer)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("backend", REMOTE_BACKENDS)
def test_an_update_reaches_the_server_and_marks_a_new_version(backend, remote_url):
    """Through the update endpoint (each server's usual one), in a graph of its own so that the other
    tests' counts stay; checked like a query first (the embedded store's message for a bad one)."""
    store = RemoteStore(remote_url(backend), BASE, timeout=10)
    graph = "urn:policykg:test-update"
    version = store.read_version()
    try:
        store.update(f'INSERT DATA {{ GRAPH <{graph}> {{ <urn:a> <urn:b> "更新"@zh }} }}')
        rows = store._rows(f"SELECT ?o WHERE {{ GRAPH <{graph}> {{ <urn:a> <urn:b> ?o }} }}", dataset=([], [graph]))
        assert rows == [{"o": ox.Literal("更新", language="zh")}]
        assert store.read_version() not in (None, version)
        with pytest.raises(QueryRefused) as refused:
            store.update("INSERT DATA { <urn:a> <urn:b> }")
        assert refused.value.reason == "syntax" and "line 1" in refused.value.message
    finally:
        store._update(f"DROP SILENT GRAPH <{graph}>", 30)


SECRET = "pw-Geheim-7e3"


def _no_secret(text: str) -> None:
    assert SECRET not in text


def test_digest_credentials_reach_virtuoso_and_are_never_shown(virtuoso_server, embedded, monkeypatch, caplog):
    """Virtuoso's /sparql-auth takes digest authentication only: the credentials from the environment
    reach it (the answers are the data's), a wrong password is ``store_unavailable`` naming the
    variables, and the password is in no message, log record or repr."""
    virtuoso_server.create_user("policykg_reader", SECRET)
    url = virtuoso_server.url.rsplit("/", 1)[0] + "/sparql-auth"
    monkeypatch.setenv("POLICYKG_STORE_USER", "policykg_reader")
    monkeypatch.setenv("POLICYKG_STORE_PASSWORD", SECRET)
    monkeypatch.setenv("POLICYKG_STORE_AUTH", "digest")
    caplog.set_level("DEBUG")
    store = RemoteStore(url, BASE, timeout=5)
    count = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
    assert store.graph_sizes() == embedded.graph_sizes()
    assert store.update_url == url   # updates go to the endpoint that takes the credentials
    _no_secret(repr(store))
    for env in ({"POLICYKG_STORE_PASSWORD": "wrong-" + SECRET}, {"POLICYKG_STORE_AUTH": "basic"}):
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        with pytest.raises(QueryRefused) as refused:
            RemoteStore(url, BASE, timeout=5).select(count)
        assert refused.value.reason == "store_unavailable" and "POLICYKG_STORE_PASSWORD" in refused.value.message
        _no_secret(refused.value.message)
        monkeypatch.setenv("POLICYKG_STORE_PASSWORD", SECRET)
        monkeypatch.setenv("POLICYKG_STORE_AUTH", "digest")
    _no_secret(caplog.text)


class _BasicAuthProxy:
    """A loopback proxy that asks for HTTP basic authentication in front of a SPARQL server, and keeps
    the user names that reached it."""

    def __init__(self, upstream: str, user: str, password: str):
        import base64
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
        import requests
        expected = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        seen = self.users = []

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _forward(self):
                given = self.headers.get("Authorization", "")
                if given != expected:
                    self.send_response(401)
                    self.send_header("WWW-Authenticate", 'Basic realm="sparql"')
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                seen.append(base64.b64decode(given.split()[1]).decode().split(":")[0])
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                path = self.path.split("?", 1)
                reply = requests.request(self.command, upstream + ("?" + path[1] if len(path) > 1 else ""),
                                         data=body, timeout=30, headers={k: v for k, v in self.headers.items()
                                                                         if k.lower() in ("content-type", "accept")})
                self.send_response(reply.status_code)
                for name in ("Content-Type", "Server"):
                    if name in reply.headers:
                        self.send_header(name, reply.headers[name])
                self.send_header("Content-Length", str(len(reply.content)))
                self.end_headers()
                self.wfile.write(reply.content)

            do_GET = do_POST = _forward

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/query"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def test_basic_credentials_reach_the_server_and_are_never_shown(oxigraph_server, embedded, monkeypatch, caplog):
    proxy = _BasicAuthProxy(oxigraph_server.url, "policykg_reader", SECRET)
    try:
        monkeypatch.setenv("POLICYKG_STORE_USER", "policykg_reader")
        monkeypatch.setenv("POLICYKG_STORE_PASSWORD", SECRET)
        monkeypatch.delenv("POLICYKG_STORE_AUTH", raising=False)   # basic unless told
        caplog.set_level("DEBUG")
        store = RemoteStore(proxy.url, BASE, timeout=5)
        assert store.graph_sizes() == embedded.graph_sizes()
        assert proxy.users and set(proxy.users) == {"policykg_reader"}
        monkeypatch.setenv("POLICYKG_STORE_PASSWORD", "wrong-" + SECRET)
        with pytest.raises(QueryRefused) as refused:
            RemoteStore(proxy.url, BASE, timeout=5).select("SELECT * WHERE { ?s ?p ?o } LIMIT 1")
        assert refused.value.reason == "store_unavailable"
        _no_secret(refused.value.message)
        _no_secret(caplog.text)
    finally:
        proxy.server.shutdown()


# -- which formats of each server are passed on as they come (store/results.py VERBATIM) ------------------
# Terms of every kind the writers treat apart (an IRI, simple, language and typed literals, booleans, text
# with the characters CSV, TSV and JSON escape, unbound values), one kind a column (Virtuoso types a VALUES
# column by its first value); and a blank node of the data.
VERBATIM_QUERIES = (
    'SELECT ?i ?u ?v ?b WHERE { VALUES (?i ?u ?v ?b) { (1 <urn:x> UNDEF UNDEF) (2 UNDEF "plain" UNDEF) '
    '(3 UNDEF "逗,号\\n和\\"引号\\"\\t制表"@zh UNDEF) (4 UNDEF 4.50 UNDEF) (5 UNDEF UNDEF true) '
    '(6 UNDEF "2.5E0"^^<http://www.w3.org/2001/XMLSchema#double> false) (7 UNDEF UNDEF UNDEF) } } ORDER BY ?i',
    'SELECT ?v WHERE { ?c <http://www.w3.org/2000/01/rdf-schema#subClassOf> ?v FILTER(isBlank(?v)) } LIMIT 1',
)
VERBATIM_GRAPH_QUERY = ('CONSTRUCT { <urn:s> <urn:p> ?v } WHERE { VALUES ?v { "plain" "逗,号\\n和\\"引号\\"\\t"@zh '
                        '4.50 "a\\\\b" } }')
# (JSON with or without spaces: Virtuoso's answers edited as bytes keep its own)
_LABELS = {"JSON": rb'"type":\s*"bnode",\s*"value":\s*"([^"]+)"', "XML": rb"<bnode>([^<]+)</bnode>",
           "CSV": rb"_:([A-Za-z0-9_.\-]+)", "TSV": rb"_:([A-Za-z0-9_.\-]+)", "N_TRIPLES": rb"_:([A-Za-z0-9_.\-]+)"}


def _relabelled(body: bytes, fmt: str) -> bytes:
    """``body`` with its blank node labels numbered in order of appearance (each store has its own)."""
    import re
    seen: dict = {}
    return re.sub(_LABELS[fmt], lambda m: m.group(0).replace(m.group(1), b"b%d" % seen.setdefault(m.group(1),
                                                                                                 len(seen))), body)


@pytest.mark.parametrize("backend", REMOTE_BACKENDS)
@pytest.mark.parametrize("fmt", ["JSON", "XML", "CSV", "TSV"])
def test_a_servers_results_are_passed_on_in_exactly_the_formats_it_writes_as_embedded(backend, fmt, remote_url,
                                                                                      embedded):
    """results.VERBATIM, checked against the installed server both ways: in a format listed the server
    writes each answer byte for byte as the embedded store does (but for blank node labels); in a format
    not listed it does not (so the list grows when a server starts to write a format right). And what
    the service gives is the embedded store's answer either way."""
    from policykg.store import results
    from policykg.store.backend import user_base_iri
    store = RemoteStore(remote_url(backend), BASE, timeout=10)
    results_format = getattr(ox.QueryResultsFormat, fmt)
    same = []
    for query in VERBATIM_QUERIES:
        reply = store._send(f"BASE <{user_base_iri(BASE)}>\n{query}", accept=results_format.media_type,
                            form="SELECT", timeout=30, dataset=store._dataset())
        theirs = _relabelled(embedded.answer(job(query, fmt))[1], fmt)
        same.append(_relabelled(reply.body, fmt) == theirs)
        assert _rows(_relabelled(store.answer(job(query, fmt))[1], fmt), results_format) == \
            _rows(theirs, results_format)
    verbatim = fmt in results.VERBATIM[store.kind]
    assert all(same) if verbatim else not any(same), (backend, fmt, same)


@pytest.mark.parametrize("backend", REMOTE_BACKENDS)
def test_a_servers_graph_answers_are_passed_on_only_in_the_formats_it_writes_as_embedded(backend, remote_url,
                                                                                         embedded):
    from policykg.store import results
    from policykg.store.backend import user_base_iri
    store = RemoteStore(remote_url(backend), BASE, timeout=10)
    reply = store._send(f"BASE <{user_base_iri(BASE)}>\n{VERBATIM_GRAPH_QUERY}", accept="application/n-triples",
                        form="CONSTRUCT", timeout=30, dataset=store._dataset())
    theirs = embedded.answer(job(VERBATIM_GRAPH_QUERY))[1]

    def lines(body):   # a graph's triples come in any order
        return sorted(body.splitlines())
    same = lines(reply.body) == lines(theirs)
    assert same == ("N_TRIPLES" in results.VERBATIM_GRAPH[store.kind]), reply.body[:600]
    assert canonical(ox.parse(store.answer(job(VERBATIM_GRAPH_QUERY))[1], format=ox.RdfFormat.N_TRIPLES)) == \
        canonical(ox.parse(theirs, format=ox.RdfFormat.N_TRIPLES))


# -- Virtuoso's JSON edited as bytes (store/results.py virtuoso_edited) -----------------------------------
# Literals whose text looks like what the edits look for, or that JSON must escape.
EDITED_TEXTS = ['a"b', "back\\slash", "ends with a backslash\\", "new\nline\ttab\rcr", "ctl\x01\x02\x1f del\x7f",
                "社区党组织", "\u2028\u2029\ufeff", "e\u0301", '"type": "typed-literal"',
                '\\"type\\": \\"typed-literal\\"', '{ "type": "bnode", "value": "nodeID://b1" }',
                '"datatype": "http://www.w3.org/2001/XMLSchema#string", ', "] } }", "\\u00E9", ""]


def test_virtuosos_json_edited_as_bytes_is_valid_and_holds_the_embedded_stores_terms(remote_url):
    """What the byte edits rely on, checked on the installed Virtuoso's own bytes: its JSON is ASCII and
    valid, and edited it holds the terms the decoded path gives and the embedded store answers, for text
    that looks like the patterns edited (typed-literal, nodeID://, xsd:string), escapes, control
    characters and Chinese, in simple, language and typed literals, IRIs and a blank node."""
    from policykg.store import results
    store = RemoteStore(remote_url("virtuoso"), BASE, timeout=10)
    graph = "urn:policykg:test:edited-json"
    blank = ox.BlankNode()
    triples = [ox.Triple(ox.NamedNode(f"urn:s{i}"), ox.NamedNode(f"urn:p{k}"), obj)
               for i, text in enumerate(EDITED_TEXTS)
               for k, obj in enumerate([ox.Literal(text), ox.Literal(text, language="zh"),
                                        ox.Literal(text, datatype=ox.NamedNode("urn:dt")),
                                        ox.NamedNode("urn:o:" + urllib.parse.quote(text, safe="") + "中")])]
    triples += [ox.Triple(ox.NamedNode("urn:n"), ox.NamedNode("urn:p"), ox.Literal("7", datatype=ox.NamedNode(
        XSD + "integer"))), ox.Triple(ox.NamedNode("urn:n"), ox.NamedNode("urn:p"), blank),
        ox.Triple(blank, ox.NamedNode("urn:p"), ox.Literal("x"))]
    query = "SELECT ?s ?p ?o WHERE { ?s ?p ?o }"
    store._put_graph(graph, ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES))
    try:
        reply = store._send(query, accept="application/sparql-results+json", form="SELECT", timeout=30,
                            dataset=([graph], [graph]))
    finally:
        store.update(f"DROP SILENT GRAPH <{graph}>")
    assert reply.body.isascii()
    edited = results.virtuoso_edited(reply.body)
    assert edited is not None, reply.body[:500]
    json.loads(edited)
    decoded = results.rows(results.normalise(results.decode(reply.body))[0])
    embedded = ox.Store()
    embedded.extend(ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()) for t in triples)
    expected = [{n: s[n] for n in ("s", "p", "o")} for s in embedded.query(query)]
    blanks = lambda rows: sorted(tuple("_" if isinstance(t, ox.BlankNode) else str(t) for t in (r["s"], r["p"],
                                                                                                  r["o"]))
                                 for r in rows)
    assert blanks(results.solutions_rows(edited)) == blanks(decoded) == blanks(expected)
    assert len(expected) == len(triples)


def test_the_byte_limit_is_judged_on_the_answer_as_the_embedded_store_writes_it(remote_url):
    """Virtuoso's edited JSON (spaces, six bytes a \\u escape) is longer than the same answer written as the
    embedded store writes it: an answer within the byte limit that way is served, not refused for the
    length of Virtuoso's spelling; one byte less and it is too large."""
    from policykg.store import results
    from policykg.store.backend import user_base_iri
    store = RemoteStore(remote_url("virtuoso"), BASE, timeout=10)
    query = ("SELECT ?s ?l WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?l "
             "FILTER(langMatches(lang(?l), \"zh\")) } LIMIT 40")
    reply = store._send(f"BASE <{user_base_iri(BASE)}>\n{query}", accept="application/sparql-results+json",
                        form="SELECT", timeout=30, dataset=store._dataset())
    edited = results.virtuoso_edited(reply.body)
    written = results.write(results.normalise(results.decode(reply.body))[0], ox.QueryResultsFormat.JSON)
    assert edited is not None and len(edited) > len(written) * 1.2   # what the test is about
    media, body = store.answer(job(query, max_bytes=len(written)))
    assert _rows(body, ox.QueryResultsFormat.JSON) == _rows(written, ox.QueryResultsFormat.JSON)
    with pytest.raises(QueryRefused) as refused:
        store.answer(job(query, max_bytes=len(written) - 1))
    assert refused.value.reason == "too_large"


# -- Virtuoso's N-Triples passed on as they came (store/results.py virtuoso_ntriples_as_they_are) ---------
NTRIPLES_QUERIES = (
    # Chinese text (written by Virtuoso as \u escapes)
    "CONSTRUCT { ?u <http://www.w3.org/2000/01/rdf-schema#label> ?l } WHERE { "
    "?u a <http://data.europa.eu/eli/ontology#LegalResourceSubdivision> ; <http://www.w3.org/2000/01/rdf-schema#label> ?l }",
    # blank nodes (the ontology's restrictions)
    "CONSTRUCT { ?c <http://www.w3.org/2000/01/rdf-schema#subClassOf> ?r . ?r ?p ?v } WHERE { "
    "?c <http://www.w3.org/2000/01/rdf-schema#subClassOf> ?r FILTER(isBlank(?r)) ?r ?p ?v }",
)


@pytest.mark.parametrize("query", NTRIPLES_QUERIES)
def test_virtuosos_ntriples_are_passed_on_as_they_came_and_hold_the_embedded_stores_triples(query, remote_url,
                                                                                          embedded):
    from policykg.store import results
    from policykg.store.backend import user_base_iri
    store = RemoteStore(remote_url("virtuoso"), BASE, timeout=10)
    reply = store._send(f"BASE <{user_base_iri(BASE)}>\n{query}", accept="application/n-triples",
                        form="CONSTRUCT", timeout=30, dataset=store._dataset())
    assert results.virtuoso_ntriples_as_they_are(reply.body), reply.body[:300]
    media, body = store.answer(job(query))
    assert media == "application/n-triples"
    assert sorted(body.splitlines()) == sorted(reply.body.splitlines())   # Virtuoso's own lines
    theirs = embedded.answer(job(query))[1]
    ours = list(ox.parse(body, format=ox.RdfFormat.N_TRIPLES))
    assert len(ours) > 10 and canonical(ours) == canonical(ox.parse(theirs, format=ox.RdfFormat.N_TRIPLES))
    # Turtle asked for: parsed and written again, the same triples
    turtle = store.answer(job(query, graph="TURTLE"))[1]
    assert canonical(ox.parse(turtle, format=ox.RdfFormat.TURTLE)) == canonical(ours)


def test_virtuosos_ntriples_keep_the_embedded_stores_limits(remote_url, embedded):
    """Passed on as they came, an answer is still refused over the row limit; its byte limit is judged on
    the answer as the embedded store writes it (UTF-8, shorter than Virtuoso's \\u escapes)."""
    query = NTRIPLES_QUERIES[0]
    store = RemoteStore(remote_url("virtuoso"), BASE, timeout=10)
    count = len(list(ox.parse(embedded.answer(job(query))[1], format=ox.RdfFormat.N_TRIPLES)))
    assert store.answer(job(query, max_results=count))
    with pytest.raises(QueryRefused) as refused:
        store.answer(job(query, max_results=count - 1))
    assert refused.value.reason == "too_many_results"
    written = len(embedded.answer(job(query))[1])
    escaped = len(store.answer(job(query))[1])
    assert escaped > written   # what the test is about
    media, body = store.answer(job(query, max_bytes=written))
    assert canonical(ox.parse(body, format=ox.RdfFormat.N_TRIPLES)) == \
        canonical(ox.parse(embedded.answer(job(query))[1], format=ox.RdfFormat.N_TRIPLES))
    with pytest.raises(QueryRefused) as refused:
        store.answer(job(query, max_bytes=written - 1))
    assert refused.value.reason == "too_large"
