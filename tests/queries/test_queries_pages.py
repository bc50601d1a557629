"""The pages' own queries (queries/pages/*.rq): the named questions' header, apart from the
user questions, each used by a page and each answering over the bundled data; the pages hold
no SPARQL of their own."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from policykg.api.pages.data import PAGE_QUERIES_DIR
from policykg.queries.library import QUERIES_DIR, bind_params, load_library, parse_rq

PAGES_DIR = Path(__file__).resolve().parents[2] / "api" / "pages"
PAGE_QUERIES = sorted(PAGE_QUERIES_DIR.glob("*.rq"))


def _page_sources() -> dict[str, str]:
    return {path.name: path.read_text(encoding="utf-8") for path in sorted(PAGES_DIR.glob("*.py"))}


def test_the_page_queries_live_beside_the_named_questions():
    assert PAGE_QUERIES_DIR == QUERIES_DIR / "pages"
    assert len(PAGE_QUERIES) >= 10


@pytest.mark.parametrize("path", PAGE_QUERIES, ids=lambda p: p.name)
def test_each_has_the_header_and_says_it_serves_the_pages(path):
    query = parse_rq(path)          # raises LibraryError on a bad header
    assert query.name == path.stem and query.title_zh and query.title_en
    assert "(not a user question" in query.description or "not run" in query.description, query.description
    assert re.search(r"供.*使用", query.description_zh), query.description_zh
    assert "pages" in query.tags
    for p in query.params:
        assert re.search(r"[\u4e00-\u9fff]{2}", p.help_zh), f"{path.name}: {p.name}"


def test_they_are_not_offered_as_user_questions():
    users = load_library()
    pages = load_library(PAGE_QUERIES_DIR)
    assert not set(users) & set(pages)
    assert all(q.path.parent == QUERIES_DIR for q in users.values())


def test_every_page_query_is_used_and_every_used_one_exists():
    sources = "\n".join(_page_sources().values())
    used = set(re.findall(r'page_(?:rows|query_text)\("([a-z0-9_]+)"', sources))
    assert used == {path.stem for path in PAGE_QUERIES}


def test_the_page_modules_hold_no_sparql():
    for name, text in _page_sources().items():
        # a projection, a prologue or a triple pattern (the editor's regexes name SELECT and WHERE)
        assert not re.search(r"SELECT\s+(?:DISTINCT\s+)?[?(*]|PREFIX\s+\w*:\s*<|\{\s*\?\w+\s+[\w:<?]", text), name


@pytest.mark.parametrize("path", PAGE_QUERIES, ids=lambda p: p.name)
def test_each_answers_over_the_bundled_policy(path, store, resolver):
    query = parse_rq(path)
    for example in query.examples or [{}]:
        bindings, _ = bind_params(query, example, resolver)
        rows = store.select(query.sparql, bindings or None)
        assert rows, f"{path.name} {example}: no rows"
        assert all(set(row) <= set(_projected_names(query.sparql)) for row in rows)


def _projected_names(sparql: str) -> list[str]:
    select = re.search(r"SELECT\s+(?:DISTINCT\s+)?(.*?)\s+WHERE", sparql, re.S).group(1)
    return re.findall(r"\?([A-Za-z_]\w*)", select)
