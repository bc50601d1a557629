"""A persistent store folder: loaded once from the data, reopened on restart, queried by read-only workers."""
from __future__ import annotations

import requests

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"


def _count(url: str) -> int:
    response = requests.get(f"{url}/sparql", params={"query": COUNT},
                            headers={"Accept": "application/sparql-results+json"}, timeout=60)
    assert response.status_code == 200, response.text
    return int(response.json()["results"]["bindings"][0]["n"]["value"])


def test_store_folder_survives_restart(server_factory, live_server, tmp_path):
    expected = _count(live_server)          # the same data, in memory
    folder = tmp_path / "store"
    first = server_factory(POLICYKG_STORE=str(folder))
    assert _count(first.url) == expected
    assert requests.get(f"{first.url}/healthz", timeout=30).json()["quads"] == expected
    first.stop()
    assert any(folder.iterdir())
    second = server_factory(POLICYKG_STORE=str(folder))   # reopened, not loaded twice
    assert _count(second.url) == expected
