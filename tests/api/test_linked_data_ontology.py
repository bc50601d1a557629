"""The ontology's HTML documentation is served at /ontology/; /def/ sends browsers there."""
from __future__ import annotations

import requests


def test_ontology_documentation(live_server):
    response = requests.get(f"{live_server}/ontology/", timeout=120)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    assert "ResidentsCommittee" in response.text
    turtle = requests.get(f"{live_server}/ontology/policykg.ttl", timeout=30)
    assert turtle.status_code == 200
    assert requests.get(f"{live_server}/ontology/../../etc/passwd", timeout=30).status_code == 404


def test_def_redirects_browsers_and_serves_machines(live_server):
    browser = requests.get(f"{live_server}/def/", headers={"Accept": "text/html"}, allow_redirects=False, timeout=120)
    assert browser.status_code == 303
    assert browser.headers["Location"].endswith("/ontology/")
    machine = requests.get(f"{live_server}/def/", headers={"Accept": "text/turtle"}, timeout=30)
    assert machine.headers["Content-Type"].startswith("text/turtle")
