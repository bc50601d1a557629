"""Every response says how browsers may use it (issue 15, item 8): no sniffing, no framing by other
sites, no referrer to other sites; pages also restrict what they load to the service itself and vary
by the language cookie. SPARQL answers (the /sparql middleware) and API JSON carry the same headers."""
from __future__ import annotations

import pytest
import requests

SECURITY = {"X-Content-Type-Options": "nosniff", "X-Frame-Options": "SAMEORIGIN", "Referrer-Policy": "same-origin"}


@pytest.mark.parametrize("path, params", [
    ("/", {}),
    ("/document", {}),
    ("/api/queries", {}),
    ("/sparql", {"query": "ASK {}"}),
    ("/sparql", {}),                               # the service description
    ("/no-such-page", {}),                         # errors too
    ("/def/ResidentsCommittee", {"format": "ttl"}),
])
def test_every_response_carries_the_security_headers(live_server, path, params):
    response = requests.get(live_server + path, params=params, timeout=30)
    for name, value in SECURITY.items():
        assert response.headers.get(name) == value, (path, name)


def test_pages_restrict_what_they_load_and_vary_by_the_language_cookie(live_server):
    response = requests.get(f"{live_server}/", timeout=30)
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy and "frame-ancestors 'self'" in policy
    assert "unsafe-eval" not in policy and "script-src 'self' 'unsafe-inline'" not in policy
    assert "cookie" in [v.strip().lower() for v in response.headers["Vary"].split(",")]


def test_machine_answers_get_no_page_policy(live_server):
    response = requests.get(f"{live_server}/sparql", params={"query": "ASK {}"},
                            headers={"Accept": "application/sparql-results+json"}, timeout=30)
    assert "Content-Security-Policy" not in response.headers
