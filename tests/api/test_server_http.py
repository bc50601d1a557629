"""HTTP behaviour shared by every route: CORS, gzip, error pages without stack traces."""
from __future__ import annotations

import gzip

import requests

QUERY = "SELECT * WHERE { ?s ?p ?o } LIMIT 200"


def test_cors_simple_and_preflight(live_server):
    response = requests.get(f"{live_server}/sparql", params={"query": "ASK {}"},
                            headers={"Origin": "https://notebook.example"}, timeout=30)
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in response.headers
    preflight = requests.options(f"{live_server}/sparql", timeout=30, headers={
        "Origin": "https://notebook.example",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type",
    })
    assert preflight.status_code in (200, 204)
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    assert "content-type" in preflight.headers["Access-Control-Allow-Headers"].lower()
    assert "Access-Control-Allow-Credentials" not in preflight.headers


def test_gzip_when_asked(live_server):
    plain = requests.get(f"{live_server}/sparql", params={"query": QUERY}, timeout=30,
                         headers={"Accept-Encoding": "identity", "Accept": "application/sparql-results+json"})
    assert "Content-Encoding" not in plain.headers
    raw = requests.get(f"{live_server}/sparql", params={"query": QUERY}, timeout=30, stream=True,
                       headers={"Accept-Encoding": "gzip", "Accept": "application/sparql-results+json"})
    assert raw.headers["Content-Encoding"] == "gzip"
    body = raw.raw.read()
    assert gzip.decompress(body) == plain.content
    assert len(body) < len(plain.content)
    assert "Accept-Encoding" in raw.headers["Vary"]


def test_error_statuses_have_no_stack_trace(live_server):
    cases = [
        (requests.get(f"{live_server}/no/such/path", timeout=30), 404),
        (requests.put(f"{live_server}/sparql", data="x", timeout=30), 405),
        (requests.get(f"{live_server}/sparql", params={"query": "SELEKT"}, timeout=30), 400),
        (requests.get(f"{live_server}/sparql", params={"query": "ASK {}"}, headers={"Accept": "image/png"},
                      timeout=30), 406),
        (requests.post(f"{live_server}/sparql", data={"query": "#" * 30000}, timeout=30), 413),
    ]
    for response, status in cases:
        assert response.status_code == status
        assert "Traceback" not in response.text
        assert 'File "' not in response.text
    assert "GET" in cases[1][0].headers["Allow"]


def test_errors_in_json_when_preferred(live_server):
    response = requests.get(f"{live_server}/sparql", params={"query": "SELEKT"},
                            headers={"Accept": "application/json"}, timeout=30)
    assert response.status_code == 400
    body = response.json()
    assert body["ok"] is False            # the same envelope as the REST API
    assert body["error"]["code"] == "bad_request"
    assert body["error"]["status"] == 400
    assert "syntax error" in body["error"]["message"]


def test_unknown_api_path_uses_the_json_envelope(live_server):
    response = requests.get(f"{live_server}/api/no-such-thing-at-all", timeout=30)
    assert response.status_code == 404
    body = response.json()
    assert body["ok"] is False and body["error"]["code"] == "not_found"


def test_huge_request_body_is_refused_without_reading_it(live_server):
    body = b"#" * (17 << 20)
    response = requests.post(f"{live_server}/sparql", data=body, timeout=60,
                             headers={"Content-Type": "application/sparql-query"})
    assert response.status_code == 413
