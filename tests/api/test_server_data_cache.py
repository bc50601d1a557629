"""``data_cache``: a store folder built once from the data file and reopened at the next start
(issue 19: start-up without re-parsing).

The folder is named by the file's content hash, built in a temporary folder renamed into place
(a build killed half-way leaves nothing that looks finished), and a second start opens the same
folder rather than building another; the answers are the same as from the file in memory.
"""
from __future__ import annotations

import requests

from policykg.settings import load_config
from policykg.store.shared import cached_store_folder, content_key

JSON_RESULTS = "application/sparql-results+json"
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"


def _count(url: str) -> int:
    response = requests.get(f"{url}/sparql", params={"query": COUNT}, headers={"Accept": JSON_RESULTS}, timeout=30)
    assert response.status_code == 200, response.text[:300]
    return int(response.json()["results"]["bindings"][0]["n"]["value"])


def test_a_second_start_reopens_the_folder_built_by_the_first(server_factory, built_dataset, tmp_path):
    cache = tmp_path / "cache"
    first = server_factory(POLICYKG_DATA_CACHE=str(cache))
    try:
        answer = _count(first.url)
        health = requests.get(f"{first.url}/healthz", timeout=10).json()
    finally:
        first.stop()
    folders = sorted(p.name for p in cache.iterdir() if p.is_dir())
    assert folders == [f"store-{content_key(built_dataset, cache)}"]   # one finished folder, no leftover
    folder = cache / folders[0]
    built = folder.stat().st_ino
    second = server_factory(POLICYKG_DATA_CACHE=str(cache))
    try:
        assert _count(second.url) == answer
        assert requests.get(f"{second.url}/healthz", timeout=10).json()["quads"] == health["quads"]
    finally:
        second.stop()
    # Not built again: the same folder (a rebuild would rename a new one into place).
    assert folder.stat().st_ino == built
    assert sorted(p.name for p in cache.iterdir() if p.is_dir()) == folders
    # The same answer as the file held in memory (the session's server).
    memory = server_factory()
    assert _count(memory.url) == answer


def test_the_key_is_the_content_not_the_name(built_dataset, tmp_path):
    copy = tmp_path / "renamed.trig"
    copy.write_bytes(built_dataset.read_bytes())
    cache = tmp_path / "cache"
    cache.mkdir()
    assert content_key(copy, cache) == content_key(built_dataset, cache)
    changed = tmp_path / "changed.trig"
    changed.write_bytes(built_dataset.read_bytes() + b"\n<urn:x> <urn:y> <urn:z> .\n")
    assert content_key(changed, cache) != content_key(built_dataset, cache)


def test_a_half_built_folder_is_not_taken_for_a_finished_one(built_dataset, tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    key = content_key(built_dataset, cache)
    (cache / f".store-{key}.x.building").mkdir()     # what a build killed half-way leaves
    folder = cached_store_folder(cache, built_dataset)
    assert folder.name == f"store-{key}" and folder.is_dir()
    assert int((cache / f"store-{key}.quads").read_text()) > 1000
    assert load_config({"data_cache": str(cache)}).data_cache == str(cache)
