"""``data_cache``: what ``policykg serve`` builds once from a data file, so that the next start
does not parse it (issue 19: start-up without re-parsing) — by default, and for every size.

Every file gets a store folder, answering from the first start on (and within a second or two of
a restart); one whose in-memory copy fits ``data_memory_mb`` is also loaded into memory in the
background, from a fast copy at later starts (pyoxigraph's own loader, the blank nodes' labels
kept), and the evaluation processes move to it once loaded. Both are named by the file's content hash, built in a temporary folder renamed into place
(a build killed half-way leaves nothing that looks finished), and a second start reuses them
rather than building again; the answers are the same as from the file in memory. An entry whose
file changed is removed, unless a running service holds it.
"""
from __future__ import annotations

import fcntl
import os
import signal
import time

import pyoxigraph as ox
import requests

from policykg.settings import load_config
from policykg.store import forking, shared
from policykg.store.shared import cached_store_folder, content_key

JSON_RESULTS = "application/sparql-results+json"
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"


def _count(url: str) -> int:
    response = requests.get(f"{url}/sparql", params={"query": COUNT}, headers={"Accept": JSON_RESULTS}, timeout=30)
    assert response.status_code == 200, response.text[:300]
    return int(response.json()["results"]["bindings"][0]["n"]["value"])


def test_a_second_start_reopens_the_folder_built_by_the_first(server_factory, built_dataset, tmp_path):
    cache = tmp_path / "cache"
    first = server_factory(POLICYKG_DATA_CACHE=str(cache), POLICYKG_DATA_MEMORY_MB="0")
    try:
        answer = _count(first.url)
        health = requests.get(f"{first.url}/healthz", timeout=10).json()
    finally:
        first.stop()
    folders = sorted(p.name for p in cache.iterdir() if p.is_dir())
    assert folders == [f"store-{content_key(built_dataset, cache)}"]   # one finished folder, no leftover
    folder = cache / folders[0]
    built = folder.stat().st_ino
    second = server_factory(POLICYKG_DATA_CACHE=str(cache), POLICYKG_DATA_MEMORY_MB="0")
    try:
        assert _count(second.url) == answer
        assert requests.get(f"{second.url}/healthz", timeout=10).json()["quads"] == health["quads"]
    finally:
        second.stop()
    # Not built again: the same folder (a rebuild would rename a new one into place).
    assert folder.stat().st_ino == built
    assert sorted(p.name for p in cache.iterdir() if p.is_dir()) == folders
    # The same answer as the file held in memory, parsed (no cache).
    memory = server_factory(POLICYKG_DATA_CACHE="off")
    assert _count(memory.url) == answer
    assert "parsed" not in memory.log() and "cache copy" not in memory.log()


def _wait_for(server, text: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while text not in server.log():
        assert time.monotonic() < deadline and server.alive(), server.log()[-3000:]
        time.sleep(0.1)


def test_by_default_a_restart_loads_the_fast_copy_instead_of_parsing(server_factory, built_dataset, tmp_path):
    cache = tmp_path / "cache"
    data = tmp_path / "policykg.trig"
    data.write_bytes(built_dataset.read_bytes())
    first = server_factory(POLICYKG_DATA_CACHE=str(cache), data=data)
    try:
        answer = _count(first.url)
        _wait_for(first, f"quads of {data.name} loaded in memory (parsed)")
    finally:
        first.stop()
    key = content_key(data, cache)
    assert sorted(p.name for p in cache.iterdir() if p.is_dir()) == [f"memory-{key}", f"store-{key}"]
    second = server_factory(POLICYKG_DATA_CACHE=str(cache), data=data)
    try:
        assert _count(second.url) == answer
        _wait_for(second, f"quads of {data.name} loaded in memory (from the cache copy)")
        assert _count(second.url) == answer
        assert "(parsed)" not in second.log()
    finally:
        second.stop()
    # The file changes: a new key, parsed again, and the old entries removed (no service holds them).
    data.write_bytes(data.read_bytes() + b"\n<urn:x:g> { <urn:x:s> <urn:x:p> <urn:x:o> . }\n")
    third = server_factory(POLICYKG_DATA_CACHE=str(cache), data=data)
    try:
        assert _count(third.url) == answer + 1
        _wait_for(third, f"quads of {data.name} loaded in memory (parsed)")
    finally:
        third.stop()
    new_key = content_key(data, cache)
    assert new_key != key
    assert sorted(p.name for p in cache.iterdir() if p.is_dir()) == [f"memory-{new_key}", f"store-{new_key}"]


SAME = [   # the same answers from the store folder and from the in-memory copy
    COUNT,
    "SELECT ?s ?label WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?label } ORDER BY ?s ?label LIMIT 200",
    "SELECT ?t (COUNT(?s) AS ?n) WHERE { ?s a ?t } GROUP BY ?t ORDER BY DESC(?n) ?t LIMIT 20",
    "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g",
]


def _answers(url: str) -> list:
    out = []
    for query in SAME:
        response = requests.get(f"{url}/sparql", params={"query": query}, headers={"Accept": JSON_RESULTS},
                                timeout=30)
        assert response.status_code == 200, response.text[:300]
        out.append(response.json()["results"]["bindings"])
    return out


def test_the_folder_answers_before_the_memory_copy_is_loaded_and_the_same_after(
        server_factory, built_dataset, tmp_path, evaluation_pids):
    """A restart answers from the store folder at once; the in-memory copy loads in the background
    (held back here by the lock a cache cleaning takes) and the evaluation processes then move to it,
    with the same answers."""
    cache = tmp_path / "cache"
    first = server_factory(POLICYKG_DATA_CACHE=str(cache))
    try:
        _wait_for(first, "loaded in memory (parsed)")
    finally:
        first.stop()
    entry = cache / f"memory-{content_key(built_dataset, cache)}"
    with open(entry.with_name(entry.name + ".lock"), "a+b") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)   # as clean() holds it while removing the entry
        second = server_factory(POLICYKG_DATA_CACHE=str(cache))
        try:
            from_folder = _answers(second.url)
            time.sleep(1.0)
            assert "loaded in memory" not in second.log()
            before = evaluation_pids(second.process.pid)
            assert before
            fcntl.flock(lock.fileno(), fcntl.LOCK_UN)
            _wait_for(second, "loaded in memory (from the cache copy)")
            assert _answers(second.url) == from_folder
            # Idle ones move within query_idle_refork (1 s): every evaluation process is then a fork of the copy.
            deadline = time.monotonic() + 15
            while (evaluation_pids(second.process.pid) & before) and time.monotonic() < deadline:
                time.sleep(0.2)
            after = evaluation_pids(second.process.pid)
            assert after and not after & before, (before, after, second.log()[-4000:])
            for _ in range(3):
                assert _answers(second.url) == from_folder
            assert second.alive()
        finally:
            second.stop()


def test_the_fast_copy_keeps_every_quad_and_blank_node_label(tmp_path):
    data = tmp_path / "data.nq"
    data.write_text('_:b1 <urn:p> "has _: inside" <urn:g> .\n'
                    '<urn:s> <urn:p> _:b2 .\n'
                    '<urn:s> <urn:p> "plain"@zh <urn:g> .\n'
                    '<urn:s> <urn:q> "x"^^<urn:t> .\n', encoding="utf-8")
    original = ox.Store()
    original.bulk_extend(ox.parse(path=str(data), format=ox.RdfFormat.N_QUADS))
    entry = tmp_path / "memory-x"
    shared._write_fast_copy(original, entry)
    copy = shared._load_fast(entry)
    assert copy is not None and set(copy) == set(original)
    # A damaged copy (a quad missing) is not taken.
    (entry / shared.PLAIN).write_text("", encoding="utf-8")
    assert shared._load_fast(entry) is None


def test_an_entry_held_by_a_running_service_is_not_removed(tmp_path):
    cache = tmp_path / "cache"
    (cache / "memory-aaaa").mkdir(parents=True)
    (cache / "memory-bbbb").mkdir()
    for name in ("memory-aaaa", "memory-bbbb"):
        (cache / f"{name}.lock").touch()
    with open(cache / "memory-aaaa.lock", "a+b") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_SH)   # as a running service holds its entry
        assert shared.clean(cache, keep=set()) == ["memory-bbbb"]
    assert (cache / "memory-aaaa").is_dir() and not (cache / "memory-bbbb").exists()
    assert shared.cache_dir("off") is None and shared.cache_dir(str(cache)) == cache


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


def test_the_hash_is_remembered_by_path_size_time_and_inode(tmp_path, monkeypatch):
    data = tmp_path / "data.nq"
    data.write_text("<urn:s> <urn:p> <urn:o> .\n", encoding="ascii")
    cache = tmp_path / "cache"
    cache.mkdir()
    key = content_key(data, cache)
    reads = []
    real = shared.hashlib.sha256
    monkeypatch.setattr(shared.hashlib, "sha256", lambda *a: reads.append(1) or real(*a))
    assert content_key(data, cache) == key and reads == []   # not read again
    # Another file renamed into its place, same size and time: another inode, so it is read.
    other = tmp_path / "other.nq"
    other.write_text("<urn:s> <urn:p> <urn:x> .\n", encoding="ascii")
    info = data.stat()
    os.utime(other, ns=(info.st_atime_ns, info.st_mtime_ns))
    os.replace(other, data)
    assert content_key(data, cache) != key and reads == [1]


def _runtime_folder(supervisor: int):
    import tempfile
    from pathlib import Path
    for folder in Path(tempfile.gettempdir()).glob("policykg-run-*"):
        try:
            if int((folder / "supervisor.pid").read_text().strip()) == supervisor:
                return folder
        except (OSError, ValueError):
            continue
    return None


def test_an_update_drops_the_memory_copy_and_leaves_the_cache_folder_as_built(server_factory, tmp_path):
    cache = tmp_path / "cache"
    server = server_factory(POLICYKG_DATA_CACHE=str(cache), POLICYKG_ADMIN_TOKEN="t")
    try:
        _wait_for(server, "loaded in memory (parsed)")
        folder = _runtime_folder(server.process.pid)
        loader = int((folder / "memory.ready").read_text().strip())
        before = _count(server.url)
        store = next(p for p in cache.iterdir() if p.is_dir() and p.name.startswith("store-"))
        files = {p.name: p.stat().st_mtime_ns for p in store.iterdir()}
        update = "INSERT DATA { GRAPH <urn:x:g> { <urn:x:s> <urn:x:p> 1 } }"
        done = requests.post(f"{server.url}/update", data={"update": update}, headers={"Authorization": "Bearer t"},
                             timeout=60)
        assert done.status_code == 204, done.text
        assert _count(server.url) == before + 1
        deadline = time.monotonic() + 10   # the loader sees the new data within a fraction of a second
        while (folder / "memory.ready").exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not (folder / "memory.ready").exists()
        while os.path.exists(f"/proc/{loader}") and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not os.path.exists(f"/proc/{loader}")   # its copy of the data given back
        assert _count(server.url) == before + 1
        # The cache's folder still holds the file as built (it must match the file's hash).
        assert {p.name: p.stat().st_mtime_ns for p in store.iterdir()} == files
    finally:
        server.stop()


def _next_loader(folder, previous: int, seconds: float = 60) -> int | None:
    """The pid in memory.ready once it names a loader other than ``previous`` (None after ``seconds``)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            pid = int((folder / "memory.ready").read_text().strip())
        except (OSError, ValueError):
            pid = None
        if pid not in (None, previous):
            return pid
        time.sleep(0.1)
    return None


def test_a_killed_loader_loads_the_memory_copy_again(server_factory, tmp_path):
    """The loader holding the in-memory copy killed from outside (an operator, the OOM killer, the
    soak): the store folder answers meanwhile, and a new loader loads the copy again, so the
    evaluation processes go back to sharing one copy instead of each opening the folder. A loader
    whose copy served is started again however often it is killed (more often than the limit on
    loaders killed while loading)."""
    cache = tmp_path / "cache"
    server = server_factory(POLICYKG_DATA_CACHE=str(cache))
    try:
        _wait_for(server, "loaded in memory")
        folder = _runtime_folder(server.process.pid)
        before = _count(server.url)
        loader = int((folder / "memory.ready").read_text().strip())
        for kill in range(forking.LOADER_RESTARTS + 1):
            os.kill(loader, signal.SIGKILL)
            assert _count(server.url) == before   # answered throughout, by the folder or the copy
            again = _next_loader(folder, loader)
            assert again is not None, f"no loader after kill {kill + 1}: " + server.log()[-3000:]
            assert os.path.exists(f"/proc/{again}")
            loader = again
        assert server.log().count("loading the in-memory copy again") == forking.LOADER_RESTARTS + 1
        assert _count(server.url) == before
    finally:
        server.stop()
