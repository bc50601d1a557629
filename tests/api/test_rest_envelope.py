"""One JSON envelope for success and error, paging with a visible truncated flag, CSV."""
from __future__ import annotations

import re

import csv
import io

import pytest
import requests

ERROR_CODES = {"missing_parameter", "unknown_parameter", "invalid_parameter", "not_found", "ambiguous",
               "method_not_allowed", "not_acceptable", "http_error", "internal_error"}


def get(live_server, path, **kw):
    return requests.get(live_server + path, timeout=30, **kw)


def assert_success(body):
    assert body["ok"] is True
    for key in ("rows", "columns", "count", "total", "page", "page_size", "truncated", "next"):
        assert key in body, key
    assert body["count"] == len(body["rows"])
    assert isinstance(body["truncated"], bool)


def assert_error(response, status, code, parameter=None):
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["ok"] is False and set(body) == {"ok", "error"}
    assert body["error"]["code"] == code and code in ERROR_CODES
    assert body["error"]["message"]
    # beside the English message, the kind of error in Chinese (from the one table, api/words.py)
    assert re.search(r"[\u4e00-\u9fff]", body["error"]["message_zh"]), body["error"]
    # the service's one envelope: the same fields as any other error (policykg.api.errors)
    assert body["error"]["status"] == status and body["error"]["title"] not in ("", "Error")
    if parameter:
        assert body["error"]["parameter"] == parameter
    return body["error"]


@pytest.mark.parametrize("path", ["/api/", "/api/queries", "/api/clauses", "/api/queries/toc",
                                  "/api/resolve?q=居委会", "/api/ask?q=第19条说了什么", "/api/clauses/19",
                                  "/api/actors/居委会", "/api/centrality", "/api/downstream?actor=区委书记",
                                  "/api/chains?from=区委书记&to=街道党工委书记"])
def test_success_envelope(live_server, path):
    response = get(live_server, path)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    assert_success(response.json())


@pytest.mark.parametrize("path, status, code, parameter", [
    ("/api/queries/leaders_of", 400, "missing_parameter", "actor"),
    ("/api/queries/leaders_of?actor=居委会&colour=red", 400, "unknown_parameter", "colour"),
    ("/api/queries/leaders_of?actor=火星人协会", 404, "not_found", "actor"),
    ("/api/queries/leaders_of?actor=委员会", 409, "ambiguous", "actor"),
    ("/api/queries/no_such_question", 404, "not_found", "name"),
    ("/api/queries/toc?page=0", 400, "invalid_parameter", "page"),
    ("/api/queries/toc?page_size=100000", 400, "invalid_parameter", "page_size"),
    ("/api/queries/toc?page=x", 400, "invalid_parameter", "page"),
    ("/api/queries/toc?format=xml", 400, "invalid_parameter", "format"),
    ("/api/resolve", 400, "missing_parameter", "q"),
    ("/api/resolve?q=火星人协会", 404, "not_found", "q"),
    ("/api/clauses/第99条", 404, "not_found", "id"),
    ("/api/actors/火星人协会", 404, "not_found", "id"),
    ("/api/chains?from=区委书记", 400, "missing_parameter", "to"),
    ("/api/chains?from=区委书记&to=社区书记&max_length=0", 400, "invalid_parameter", "max_length"),
    ("/api/centrality?measure=fame", 400, "invalid_parameter", "measure"),
    ("/api/graph?format=svg", 400, "invalid_parameter", "format"),
    ("/api/no/such/endpoint", 404, "not_found", None),
])
def test_error_envelope(live_server, path, status, code, parameter):
    assert_error(get(live_server, path), status, code, parameter)


def test_ambiguous_and_unknown_names_list_candidates(live_server):
    error = assert_error(get(live_server, "/api/queries/leaders_of?actor=委员会"), 409, "ambiguous", "actor")
    labels = {c["label_zh"] for c in error["candidates"]}
    assert {"居民委员会", "业主委员会"} <= labels
    error = assert_error(get(live_server, "/api/queries/duties?actor=居民委员火星"), 404, "not_found", "actor")
    assert any(c["label_zh"] == "居民委员会" for c in error["candidates"])


def test_write_methods_are_refused_with_the_envelope(live_server):
    for method in ("post", "put", "delete", "patch"):
        response = getattr(requests, method)(live_server + "/api/queries", timeout=30)
        assert_error(response, 405, "method_not_allowed")


def test_paging_and_truncation(live_server):
    full = get(live_server, "/api/queries/toc").json()
    assert full["total"] == 42 and full["truncated"] is False and full["next"] is None
    page1 = get(live_server, "/api/queries/toc?page_size=10").json()
    assert page1["truncated"] is True and page1["count"] == 10 and page1["total"] == 42
    assert page1["next"].startswith("/api/queries/toc?") and "page=2" in page1["next"]
    seen = list(page1["rows"])
    body = page1
    for _ in range(10):
        if not body["next"]:
            break
        body = get(live_server, body["next"]).json()
        seen += body["rows"]
    assert body["truncated"] is False and body["page"] == 5 and body["count"] == 2
    assert [r["clause"] for r in seen] == [r["clause"] for r in full["rows"]]
    beyond = get(live_server, "/api/queries/toc?page=99").json()
    assert beyond["ok"] and beyond["rows"] == [] and beyond["truncated"] is False


def test_csv_by_accept_header_and_by_format(live_server):
    by_header = get(live_server, "/api/queries/toc?kind=article", headers={"Accept": "text/csv"})
    by_param = get(live_server, "/api/queries/toc?kind=article&format=csv")
    for response in (by_header, by_param):
        assert response.status_code == 200
        assert response.headers["Content-Type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(response.text)))
        assert len(rows) == 22
        assert rows[18]["article"] == "19" and rows[18]["clause_label"] == "第19条"
        assert rows[18]["clause"].endswith("/art/19")
    json_columns = get(live_server, "/api/queries/toc?kind=article").json()["columns"]
    assert by_param.text.splitlines()[0].split(",") == json_columns
    # A browser's Accept (HTML first, */* later) still gets JSON.
    browser = get(live_server, "/api/queries/toc", headers={"Accept": "text/html,*/*;q=0.8"})
    assert browser.headers["Content-Type"].startswith("application/json")


def test_csv_pages_say_when_truncated(live_server):
    response = get(live_server, "/api/queries/toc?format=csv&page_size=5")
    assert response.headers["X-Truncated"] == "true"
    assert len(list(csv.DictReader(io.StringIO(response.text)))) == 5


def test_queries_list_describes_every_question(live_server):
    body = get(live_server, "/api/queries?page_size=1000").json()
    names = {row["name"] for row in body["rows"]}
    assert {"leaders_of", "duties", "numeric_norms", "search", "toc", "responsibility_chain"} <= names
    for row in body["rows"]:
        assert row["title_zh"] and row["title_en"] and row["url"] == f"/api/queries/{row['name']}"
        for p in row["params"]:
            assert {"name", "type", "required", "default", "example"} <= set(p)
