"""One citation for a clause everywhere: the policy's closing paragraph is cited 结语 (English:
closing) on every page that cites it, in the REST API, and in the graph (the ontology's label
of its kind, the unit's own label), because all of them are written by one renderer."""
from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from policykg.api import create_app
from web_support import DOC

CLOSING_PATH = f"/id/doc/{DOC}/closing"
CLOSING_IRI = f"https://w3id.org/policykg{CLOSING_PATH}"
CITED = {"zh": "结语", "en": "closing"}
OTHER_WORDINGS = ("结尾", "结束语")


class ClosingLinks(HTMLParser):
    """The text of every link that cites the closing (its page or its place in the reader) and of the h1."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self.h1: list[str] = []
        self._open: list[str | None] = []     # per open <a>/<h1>: which list its text goes to
        self._buffer: list[list[str]] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        href = attrs.get("href") or ""
        if tag == "a":
            # a citation links the clause's page (or its place in the reader); the permalink
            # beside each unit of the reader says "permalink", not the clause
            closing = href in (CLOSING_PATH, "#closing") and "permalink" not in (attrs.get("class") or "")
            self._open.append("texts" if closing else None)
            self._buffer.append([])
        elif tag == "h1":
            self._open.append("h1")
            self._buffer.append([])

    def handle_endtag(self, tag):
        if tag in ("a", "h1") and self._open:
            target, words = self._open.pop(), self._buffer.pop()
            if target:
                getattr(self, target).append("".join(words).strip())

    def handle_data(self, data):
        for words in self._buffer:
            words.append(data)


def closing_links(html: str) -> ClosingLinks:
    parser = ClosingLinks()
    parser.feed(html)
    return parser


@pytest.fixture(scope="module")
def client(built_dataset):
    return create_app(data=str(built_dataset)).test_client()


def get(client, url: str, lang: str | None = None) -> str:
    if lang:
        url += ("&" if "?" in url else "?") + f"lang={lang}"
    response = client.get(url, headers={"Accept": "text/html"})
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def pages_citing_the_closing(client) -> list[str]:
    """The reader, the closing's own page, the named questions that list it, the statements
    derived from it and the actors those statements name (their relations and duties cite it)."""
    unit_page = get(client, CLOSING_PATH, "zh")
    statements = sorted({href for href in re.findall(r'href="([^"]+)"', unit_page) if "/statement/" in href})
    actors = set()
    for statement in statements:
        actors |= set(re.findall(r'href="(/actors/[^"?#]+)"', get(client, statement, "zh")))
    assert statements and actors, "the closing has statements naming actors"
    return ["/document", CLOSING_PATH, "/questions/toc?run=1", "/questions/clause_statements?clause=closing",
            *statements, *sorted(actors)]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_page_cites_the_closing_in_the_same_words(client, lang):
    found: dict[str, list[str]] = {}
    for url in pages_citing_the_closing(client):
        html = get(client, url, lang)
        links = closing_links(html)
        found[url] = links.texts
        if url == CLOSING_PATH:
            assert links.h1 == [CITED[lang]], links.h1
        if lang == "zh":
            for word in OTHER_WORDINGS:
                assert word not in " ".join(links.texts + links.h1), (url, word)
    texts = {text for texts in found.values() for text in texts}
    assert texts == {CITED[lang]}, found
    # each kind of page took part: the reader, the clause, a statement, an actor
    assert found["/document"]
    assert any(found[u] for u in found if "/statement/" in u)
    assert any(found[u] for u in found if u.startswith("/actors/"))


def test_the_rest_api_cites_the_closing_as_the_pages_do(client):
    clause = client.get("/api/clauses/closing").get_json()
    assert clause["clause"]["label"] == CITED["zh"]
    assert {s["clause_label"] for s in clause["statements"]} == {CITED["zh"]}
    rows = client.get("/api/queries/clause_statements?clause=closing").get_json()["rows"]
    assert rows and {r["clause_label"] for r in rows} == {CITED["zh"]}
    toc = client.get("/api/queries/toc").get_json()["rows"]
    assert [r["clause_label"] for r in toc if r["clause"] == CLOSING_IRI] == [CITED["zh"]]
    # the words people may type for it still resolve to it
    for word in ("结语", "结尾", "结束语"):
        resolved = client.get("/api/queries/clause_statements", query_string={"clause": word}).get_json()
        assert resolved["params"]["clause"]["iri"] == CLOSING_IRI, word


def test_the_graph_names_the_closing_as_it_is_cited(client):
    query = """PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
    PREFIX pkg: <https://w3id.org/policykg/def/>
    SELECT ?what ?label WHERE {
      { BIND("kind" AS ?what) pkg:subdivisionClosing rdfs:label ?label }
      UNION { BIND("unit" AS ?what) <%s> rdfs:label ?label }
      FILTER(LANG(?label) = "zh")
    }""" % CLOSING_IRI
    response = client.get("/sparql", query_string={"query": query},
                          headers={"Accept": "application/sparql-results+json"})
    bindings = response.get_json()["results"]["bindings"]
    labels = {b["what"]["value"]: b["label"]["value"] for b in bindings}
    assert labels == {"kind": CITED["zh"], "unit": CITED["zh"]}
