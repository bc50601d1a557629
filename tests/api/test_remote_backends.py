"""The same service over each backend: named questions, /api/ask, a page of each kind, linked data,
dumps and /sparql answer the same over Oxigraph's server and over Virtuoso (real servers started by
the tests, tests/remote_servers.py) as over the embedded store.

Answers are compared after the normalisation that engines are free to differ in: the order of rows
with equal sort keys, the order of GROUP_CONCAT's parts (joined with 、), blank node labels, and the
integer subtypes Oxigraph stores as xsd:integer. Virtuoso 7.2.5 is compared like Oxigraph's server;
what it still cannot answer as the embedded store does (docs/operations.md, "Engine quirks") is listed
exactly, case by case, with the reason: a refusal (422 ``evaluation_error`` with Virtuoso's message, or
503 ``timeout``) is asserted as such, a different answer is a strict xfail — so a case that starts to
work, or one that breaks, shows up here.
"""
from __future__ import annotations

import json
import re
import threading
from html.parser import HTMLParser

import pyoxigraph as ox
import pytest
import requests
from werkzeug.serving import make_server

from remote_servers import BACKENDS, BASE
from policykg.api import create_app
from policykg.queries.library import load_library
from policykg.settings import load_config
from policykg.store.backend import OxigraphStore
from policykg.store.remote import RemoteStore

pytestmark = pytest.mark.slow
ART5 = "/id/doc/suzhou-2011-community-party-building/art/5"


@pytest.fixture(scope="module")
def services(built_dataset, remote_url):
    """``services(backend)``: the base URL of the application over that backend (werkzeug, threaded)."""
    settings = load_config({"data": str(built_dataset)})
    started = {}
    servers = []

    def url(backend: str) -> str:
        if backend not in started:
            store = OxigraphStore.from_file(built_dataset, BASE) if backend == "embedded" else \
                RemoteStore(remote_url(backend), BASE, timeout=20)   # the service's own queries: 120 s
            server = make_server("127.0.0.1", 0, create_app(settings, store=store), threaded=True)
            threading.Thread(target=server.serve_forever, daemon=True).start()
            servers.append(server)
            started[backend] = f"http://127.0.0.1:{server.server_port}"
        return started[backend]

    yield url
    for server in servers:
        server.shutdown()


# Beyond the examples: the parameters that took the rewritten questions down the forms Virtuoso 7.2.5 got
# wrong (a relation, a bearer, asserted_only, a bounded downstream; docs/operations.md, Engine quirks).
MORE_CASES = [
    ("led_by", {"actor": "社区党支部", "relation": "hasLeadershipRelationTo"}),
    ("led_by", {"actor": "社区党组织", "asserted_only": "true"}),
    ("responsible_persons", {"asserted_only": "true"}),
    ("clause_statements", {"clause": "第19条", "asserted_only": "true"}),
    ("norms", {"bearer": "社区党组织"}),
    ("norms", {"topic": "培训", "asserted_only": "true"}),
    ("norms", {}),
    ("norms", {"page": "2"}),
    ("norms", {"modality": "可以"}),
    ("deadlines", {"bearer": "社区党组织"}),
    ("numeric_norms", {"about": "社区党组织"}),
    ("leaders_of", {"actor": "社会组织"}),
    ("leaders_of", {"actor": "居委会", "relation": "hasLeadershipRelationTo"}),
    ("leaders_of", {"actor": "居委会", "relation": "leads", "asserted_only": "true"}),
    ("leaders_of", {"actor": "社会组织", "relation": "hasPolicyRelationTo"}),
    ("downstream", {"actor": "街道党工委", "max_length": "2"}),
    ("relations", {"actor": "社会组织", "asserted_only": "true"}),
    ("relations", {"actor": "居委会", "relation": "hasLeadershipRelationTo"}),
    ("coordination_mechanisms", {"actor": "居委会", "asserted_only": "true"}),
    ("norms", {"bearer": "区委", "asserted_only": "true"}),
    ("norms", {"bearer": "社区党总支", "asserted_only": "true"}),
    ("responsibility_chain", {"from": "区委", "to": "社区党支部"}),
]


def _questions():
    cases = []
    for query in load_library().values():
        for example in query.examples:
            cases.append(pytest.param(query.name, dict(example), id=f"{query.name}-{len(cases)}"))
    for name, params in MORE_CASES:
        cases.append(pytest.param(name, params, id=f"{name}-{len(cases)}"))
    return cases


def _sorted_parts(value):
    """GROUP_CONCAT's parts in any order: sorted. A boolean is tagged, so that JSON's true is never
    taken for 1 (Python's True == 1 hid Virtuoso's 1/0 for true/false)."""
    if isinstance(value, bool):
        return {"boolean": value}
    if isinstance(value, str) and "、" in value:
        return "、".join(sorted(value.split("、")))
    if isinstance(value, list):
        return sorted((_sorted_parts(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True,
                                                                                   ensure_ascii=False))
    if isinstance(value, dict):
        return {k: _sorted_parts(v) for k, v in value.items()}
    return value


def _get(url, path, params=None, accept="application/json"):
    return requests.get(url + path, params=params or {}, headers={"Accept": accept}, timeout=180)


# What Virtuoso 7.2.5 still cannot answer as the embedded store does (docs/operations.md, "Engine quirks"),
# case by case: a named question's name or page path, or (name, sorted parameter pairs).
# Refused: (status, a piece of the message), e.g. (422, "SQ074") or (503, "time limit"): its SPARQL compiler or
# evaluator fails on the query, or never answers it. None now: the chains (SQ074) and norms?topic=培训 (never
# answered) are written in forms it evaluates (queries/*.rq, each with why).
VIRTUOSO_REFUSES: dict = {}
# Answered differently (each an xfail, strict: one that starts to agree fails), with the reason. None now:
# led_by, responsible_persons and clause_statements were rewritten (paths that start at a variable the triples
# bind, no EXISTS in a BIND, the first IRI by its text, an empty GROUP_CONCAT left unbound), and norms' empty
# GROUP_CONCAT ("" here, unbound in Oxigraph; Virtuoso refuses the IF that clause_statements.rq wraps it in,
# SQ156) is left out as unbound by the named questions on every backend (queries/library.py
# sort_concatenations). Booleans are not among them: Virtuoso's 1/0 are written true/false for the variables
# the query proves boolean (store/booleans.py), so "interpreted" and "asserted_only" compare as booleans.
VIRTUOSO_DIFFERS: dict = {}


def _virtuoso_case(name: str, params: dict):
    """What Virtuoso 7.2.5 does with this case: (status, message piece), ("differs", reason) or None (the same)."""
    key = (name, tuple(sorted(params.items())))
    for candidate in (key, name):
        if candidate in VIRTUOSO_REFUSES:
            return VIRTUOSO_REFUSES[candidate]
        if candidate in VIRTUOSO_DIFFERS:
            return "differs", VIRTUOSO_DIFFERS[candidate]
    return None


def _same_or_known(backend: str, name: str, params: dict, mine: requests.Response, theirs: requests.Response,
                   compare) -> None:
    known = _virtuoso_case(name, params) if backend == "virtuoso" else None
    if known is not None and known[0] != "differs":
        status, piece = known
        assert mine.status_code == status and piece in mine.text, (mine.status_code, mine.text[:300])
        assert theirs.status_code == 200
        return
    assert mine.status_code == theirs.status_code == 200, (mine.status_code, mine.text[:500])
    if known is not None:   # "differs", strict: one that now answers the same must leave the list
        assert compare(mine) != compare(theirs), f"{name} {params} now answers as embedded: not a quirk any more"
        pytest.xfail(f"Virtuoso 7.2.5 answers {name} {params} differently: {known[1]} "
                     "(docs/operations.md, Engine quirks)")
    assert compare(mine) == compare(theirs)


@pytest.mark.parametrize("backend", BACKENDS[1:])
@pytest.mark.parametrize("name, params", _questions())
def test_named_questions(services, backend, name, params):
    mine = _get(services(backend), f"/api/queries/{name}", params)
    theirs = _get(services("embedded"), f"/api/queries/{name}", params)
    _same_or_known(backend, name, params, mine, theirs, lambda r: _sorted_parts(r.json()))


@pytest.mark.parametrize("backend", BACKENDS[1:])
@pytest.mark.parametrize("question", ["谁领导居民委员会?", "经费标准是多少?", "社区工作者的职责有哪些?"])
def test_ask(services, backend, question):
    mine = _get(services(backend), "/api/ask", {"q": question})
    theirs = _get(services("embedded"), "/api/ask", {"q": question})
    _same_or_known(backend, "ask", {"q": question}, mine, theirs, lambda r: _sorted_parts(r.json()))


class _Page(HTMLParser):
    """A page as what a reader meets: its text pieces and links, in any order (ties, GROUP_CONCAT)."""

    def __init__(self):
        super().__init__()
        self.items: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name == "href" and value:
                self.items.append("href " + value)

    def handle_data(self, data):
        text = " ".join(data.split())
        if text:
            self.items.append(_sorted_parts(text))


def _page(response) -> list[str]:
    page = _Page()
    page.feed(response.text)
    return sorted(page.items)


@pytest.mark.parametrize("backend", BACKENDS[1:])
@pytest.mark.parametrize("path, params", [
    ("/", {}), ("/document", {}), ("/actors", {}), ("/actors/ResidentsCommittee", {}), ("/norms", {}),
    ("/chain", {"from": "区委", "to": "居委会"}), ("/search", {"q": "经费"}), ("/questions", {}),
    ("/questions/leaders_of", {"actor": "居委会"}),
])
def test_pages(services, backend, path, params):
    mine = _get(services(backend), path, params, "text/html")
    theirs = _get(services("embedded"), path, params, "text/html")
    _same_or_known(backend, path, params, mine, theirs, _page)


def _graph(response) -> set:
    fmt = ox.RdfFormat.from_media_type(response.headers["Content-Type"].split(";")[0])
    quads = list(ox.parse(response.content, format=fmt))
    dataset = ox.Dataset(q if isinstance(q, ox.Quad) else ox.Quad(q.subject, q.predicate, _normal(q.object),
                                                                     ox.DefaultGraph()) for q in quads)
    dataset = ox.Dataset(ox.Quad(q.subject, q.predicate, _normal(q.object), q.graph_name) for q in dataset)
    dataset.canonicalize(ox.CanonicalizationAlgorithm.UNSTABLE)
    return set(dataset)


def _normal(term):
    """Oxigraph keeps xsd:integer's subtypes as xsd:integer; Virtuoso keeps them (docs/operations.md)."""
    if isinstance(term, ox.Literal) and re.fullmatch(r"http://www\.w3\.org/2001/XMLSchema#(nonNegative|positive|"
                                                     r"nonPositive|negative)Integer", term.datatype.value):
        return ox.Literal(term.value, datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer"))
    return term


@pytest.mark.parametrize("backend", BACKENDS[1:])
@pytest.mark.parametrize("path, accept", [
    (ART5, "text/turtle"), (ART5, "application/ld+json"), ("/def/ResidentsCommittee", "text/turtle"),
    ("/def", "text/turtle"), ("/graph/statements", "text/turtle"), ("/dump.nq", "*/*"), ("/dump.trig", "*/*"),
    ("/dump.ttl", "*/*"),
])
def test_linked_data_and_dumps(services, backend, path, accept):
    mine = requests.get(services(backend) + path, headers={"Accept": accept}, timeout=180)
    theirs = requests.get(services("embedded") + path, headers={"Accept": accept}, timeout=180)
    assert mine.status_code == theirs.status_code == 200, (mine.status_code, mine.text[:300])
    assert mine.headers["Content-Type"] == theirs.headers["Content-Type"]
    assert _graph(mine) == _graph(theirs) and _graph(mine)


@pytest.mark.parametrize("backend", BACKENDS[1:])
def test_void_counts(services, backend):
    mine = requests.get(services(backend) + "/void", headers={"Accept": "text/turtle"}, timeout=120)
    theirs = requests.get(services("embedded") + "/void", headers={"Accept": "text/turtle"}, timeout=120)
    assert mine.status_code == theirs.status_code == 200
    for response, backend_ in ((mine, backend), (theirs, "embedded")):   # the description names its address
        response._content = response.content.replace(services(backend_).encode(), b"http://service")
    assert _graph(mine) == _graph(theirs)
    assert b"void:triples" in mine.content or b"void#triples" in mine.content


@pytest.mark.parametrize("backend", BACKENDS[1:])
@pytest.mark.parametrize("query, accept", [
    ("PREFIX pkg: <https://w3id.org/policykg/def/> SELECT ?who ?verb ?clause WHERE { "
     "?s <http://www.w3.org/1999/02/22-rdf-syntax-ns#subject> ?who ; "
     "<http://www.w3.org/1999/02/22-rdf-syntax-ns#predicate> ?verb ; "
     "<http://www.w3.org/1999/02/22-rdf-syntax-ns#object> pkg:ResidentsCommittee ; "
     "<http://www.w3.org/ns/prov#wasDerivedFrom> ?clause } ORDER BY ?clause ?who ?verb",
     "application/sparql-results+json"),
    ("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g", "text/csv"),
    ("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", "application/sparql-results+xml"),
    ("ASK { ?s a <https://w3id.org/policykg/def/Norm> }", "application/sparql-results+json"),
    ("CONSTRUCT { ?s a ?c } WHERE { ?s a ?c FILTER(?c = <https://w3id.org/policykg/def/Norm>) }", "text/turtle"),
])
def test_sparql(services, backend, query, accept):
    mine = requests.post(services(backend) + "/sparql", data={"query": query}, headers={"Accept": accept}, timeout=60)
    theirs = requests.post(services("embedded") + "/sparql", data={"query": query}, headers={"Accept": accept},
                           timeout=60)
    assert mine.status_code == theirs.status_code == 200, mine.text[:300]
    assert mine.headers["Content-Type"] == theirs.headers["Content-Type"]
    if accept == "text/turtle":
        assert _graph(mine) == _graph(theirs)
        return
    if accept == "text/csv":
        assert mine.text.splitlines() == theirs.text.splitlines()
        return
    fmt = ox.QueryResultsFormat.from_media_type(accept)
    assert _results(mine.content, fmt) == _results(theirs.content, fmt)


def _results(body, fmt):
    result = ox.parse_query_results(body, format=fmt)
    if isinstance(result, ox.QueryBoolean):
        return bool(result)
    names = [v.value for v in result.variables]
    return [tuple(str(s[n]) if s[n] is not None else None for n in names) for s in result]


@pytest.mark.parametrize("backend", BACKENDS[1:])
@pytest.mark.parametrize("query, status, code", [
    ("SELECT * WHERE { ?s ?p }", 400, None),
    ("INSERT DATA { <urn:a> <urn:b> <urn:c> }", 400, None),
    ("SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }", 400, None),
])
def test_sparql_refusals_are_the_same(services, backend, query, status, code):
    mine = requests.post(services(backend) + "/sparql", data={"query": query}, timeout=60)
    theirs = requests.post(services("embedded") + "/sparql", data={"query": query}, timeout=60)
    assert mine.status_code == theirs.status_code == status
    assert mine.text == theirs.text
