"""No input comes back as markup: a sweep of every route and every parameter it reads.

Markup and script payloads are sent, one parameter at a time, to every GET route of the application (path
segments included) and to every parameter of every API operation, named question and page form, on the live
server. An HTML answer must never contain the payload's raw tag; a JSON answer (errors included) must be served as
JSON, never as HTML, whatever it echoes. The routes and parameters are read from the application itself (its URL
map, its OpenAPI description, its named questions), so a new page or parameter is swept without editing this file.
"""
from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote

import pytest
import requests

from policykg.api import create_app

PAYLOADS = ['<script>alert("pkg")</script>', '"><img src=x onerror=alert(1)>']
RAW_TAGS = ("<script>alert", "<img src=x")
# Parameters the pages read (besides the named questions' own), found in the application's source.
API_DIR = Path(__file__).resolve().parents[2] / "api"
PAGE_PARAMS = sorted({m for path in API_DIR.rglob("*.py")
                      for m in re.findall(r'args\.get(?:list)?\(\s*"([a-z_]+)"', path.read_text(encoding="utf-8"))})


@pytest.fixture(scope="module")
def get_routes(built_dataset) -> list[str]:
    """Every GET route of the application, its converters filled with a placeholder to replace."""
    app = create_app(data=str(built_dataset))
    routes = set()
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.rule.startswith("/static"):
            continue
        routes.add(re.sub(r"<(?:[a-z]+:)?[a-z_]+>", "{}", rule.rule))
    return sorted(routes)


def _check(response: requests.Response, where: str) -> None:
    assert response.status_code < 500, f"{where}: {response.status_code}"
    kind = response.headers.get("Content-Type", "")
    if "html" in kind:
        for tag in RAW_TAGS:
            assert tag not in response.text, f"{where}: the raw tag {tag!r} came back in HTML"
    elif "json" in kind or response.text.lstrip().startswith("{"):
        assert "json" in kind, f"{where}: a JSON body served as {kind!r}"


def test_the_sweep_covers_pages_and_parameters(get_routes):
    # Guards the collection: if the URL map or the source scan came back empty, the sweep would prove nothing.
    assert {"/", "/search", "/chain", "/questions/{}", "/api/ask", "/sparql"} <= set(get_routes)
    assert {"q", "from", "to", "query", "lang"} <= set(PAGE_PARAMS)


@pytest.mark.parametrize("payload", PAYLOADS)
@pytest.mark.slow
def test_no_route_echoes_markup_in_a_path_or_a_page_parameter(live_server, get_routes, payload):
    session = requests.Session()
    for route in get_routes:
        path = route.replace("{}", quote(payload, safe=""))
        _check(session.get(live_server + path, timeout=30), path)
        for name in PAGE_PARAMS:
            response = session.get(live_server + route.replace("{}", "x"), params={name: payload}, timeout=30)
            _check(response, f"{route}?{name}=")
        for accept in ("text/html", "application/json"):
            response = session.get(live_server + path, headers={"Accept": accept}, timeout=30)
            _check(response, f"{path} ({accept})")


@pytest.mark.parametrize("payload", PAYLOADS)
@pytest.mark.slow
def test_no_api_operation_or_named_question_echoes_markup(live_server, payload):
    session = requests.Session()
    spec = session.get(f"{live_server}/api/openapi.json", timeout=30).json()
    swept = 0
    for path, operations in spec["paths"].items():
        operation = operations.get("get")
        if not operation:
            continue
        params = [p for p in operation.get("parameters", []) + operations.get("parameters", [])
                  if "$ref" not in p]
        filled = re.sub(r"\{[^}]+\}", quote(payload, safe=""), path)
        _check(session.get(live_server + filled, timeout=30), filled)
        for param in params:
            if param.get("in") != "query":
                continue
            url = live_server + re.sub(r"\{[^}]+\}", "x", path)
            _check(session.get(url, params={param["name"]: payload}, timeout=30), f"{path}?{param['name']}=")
            swept += 1
    names = [q["name"] for q in session.get(f"{live_server}/api/queries", timeout=30).json()["rows"]]
    for name in names:
        detail = session.get(f"{live_server}/api/queries/{name}", params={"format": "json"}, timeout=30)
        for param in _named_question_params(session, live_server, name):
            for base in (f"/questions/{name}", f"/api/queries/{name}"):
                _check(session.get(live_server + base, params={param: payload, "run": "1"}, timeout=30),
                       f"{base}?{param}=")
                swept += 1
        assert detail.status_code < 500
    assert swept > 50


def _named_question_params(session, live_server: str, name: str) -> list[str]:
    listing = session.get(f"{live_server}/api/queries", timeout=30).json()["rows"]
    entry = next(q for q in listing if q["name"] == name)
    params = entry.get("parameters") or entry.get("params") or []
    return [p["name"] if isinstance(p, dict) else p for p in params]
