"""The SPARQL editor without the vendored front-end files: a plain form with a notice that
still runs queries (the form posts to /sparql), and the vendoring itself is idempotent."""
from __future__ import annotations

import shutil
import subprocess
from html import unescape

import pytest
import requests

from policykg.api import create_app
from policykg.api.pages import editor as editor_page
from web_support import ROOT, parse_page, unlabelled_fields


@pytest.fixture(scope="module")
def client(built_dataset):
    app = create_app(data=str(built_dataset))
    return app.test_client()


def test_editor_without_yasgui_offers_a_plain_form(client, monkeypatch):
    monkeypatch.setattr(editor_page, "yasgui_available", lambda: False)
    html = client.get("/editor").get_data(as_text=True)
    assert 'id="editor-fallback-notice"' in html
    assert "vendor/yasgui" not in html
    page = parse_page(html)
    assert not unlabelled_fields(page)
    assert '<form method="post" action="/sparql" id="plain-form"' in html
    assert 'name="query"' in html and "PREFIX pkg: <https://w3id.org/policykg/def/>" in unescape(html)


def test_editor_with_yasgui_loads_only_local_files(client, monkeypatch):
    monkeypatch.setattr(editor_page, "yasgui_available", lambda: True)
    html = client.get("/editor").get_data(as_text=True)
    page = parse_page(html)
    assert "/static/vendor/yasgui/yasgui.min.js" in page.assets
    assert all(a.startswith(("/", "data:")) and not a.startswith("//") for a in page.assets), page.assets


def test_the_plain_form_runs_a_query_at_the_endpoint(live_server):
    # what the browser sends when the form is submitted without JavaScript
    response = requests.post(f"{live_server}/sparql", timeout=30, data={
        "query": "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
                 "SELECT ?s WHERE { ?s rdfs:label \"居民委员会\"@zh }", "format": "csv"})
    assert response.status_code == 200
    assert "https://w3id.org/policykg/def/ResidentsCommittee" in response.text


def test_examples_are_the_named_questions(client):
    from policykg.queries.library import load_library

    html = client.get("/editor").get_data(as_text=True)
    for name in load_library():
        assert f'data-name="{name}"' in html


def test_vendoring_is_idempotent():
    if not shutil.which("npm") or not shutil.which("make"):
        pytest.skip("npm or make is not installed: the editor falls back to the plain form")
    if not (ROOT / "api/static/vendor/yasgui/yasgui.min.js").is_file():
        pytest.skip("front-end assets are not installed (run `make assets`)")
    dry = subprocess.run(["make", "-n", "-f", "api/static/assets.mk"], cwd=ROOT, capture_output=True,
                         text=True, timeout=60)
    assert dry.returncode == 0, dry.stderr
    assert "npm" not in dry.stdout and "cp " not in dry.stdout, dry.stdout


@pytest.mark.slow
def test_editor_examples_answer_like_the_named_questions(live_server):
    """Each example in the editor is its named question with the first example's parameters
    bound: run at /sparql it gives as many rows as the REST API gives for that question."""
    import html as htmllib
    import re

    page = requests.get(f"{live_server}/editor", timeout=30).text
    examples = {name: htmllib.unescape(q) for q, name in
                re.findall(r'<option value="([^"]*)" data-name="([^"]+)"', page)}
    from policykg.queries.library import load_library

    checked = 0
    for name, query in load_library().items():
        if query.handler:          # answered in Python (networkx); its SPARQL lists the edges only
            continue
        params = dict(query.examples[0]) if query.examples else {}
        api = requests.get(f"{live_server}/api/queries/{name}", params={**params, "page_size": 1000},
                           timeout=30).json()
        for _ in range(3):
            r = requests.post(f"{live_server}/sparql", data={"query": examples[name]},
                              headers={"Accept": "application/sparql-results+json"}, timeout=30)
            if r.status_code != 503:
                break
        assert r.status_code == 200, (name, r.text[:300])
        assert len(r.json()["results"]["bindings"]) == api["total"], name
        checked += 1
    assert checked >= 10
