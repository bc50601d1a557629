"""/update under the time limit: a runaway update is stopped, changes nothing, and the
service keeps serving queries and later updates (policykg.store.updates)."""
from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest
import requests

TOKEN = "upd4te-token"
AUTH = {"Authorization": f"Bearer {TOKEN}", "Accept": "application/json"}
TIME_LIMIT = 2.0            # POLICYKG_QUERY_TIMEOUT of the test servers (tests/conftest.py)
MARK = "urn:policykg:test:update-limits"
# Four-way cross join over every quad: hours of work, committed only at the end. (An
# update's default graph is the store's own, empty one: the data is in named graphs.)
RUNAWAY = (f"INSERT {{ <{MARK}> <{MARK}> ?n }} WHERE {{ SELECT (COUNT(*) AS ?n) WHERE {{ "
           "GRAPH ?w { ?a ?b ?c } GRAPH ?x { ?d ?e ?f } GRAPH ?y { ?g ?h ?i } GRAPH ?z { ?j ?k ?l } } }")
SMALL = f'INSERT DATA {{ <{MARK}> <{MARK}> "small" }}'
JSON_RESULTS = "application/sparql-results+json"


def _mark_present(url: str) -> bool:
    response = requests.get(f"{url}/sparql", params={"query": f"ASK {{ <{MARK}> ?p ?o }}"},
                            headers={"Accept": JSON_RESULTS}, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()["boolean"]


def _update_children(server_pid: int) -> list[int]:
    """Live update child processes anywhere under the supervisor ``server_pid``."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            cmdline = open(f"/proc/{entry}/cmdline", "rb").read().decode("utf-8", "replace")
            state = open(f"/proc/{entry}/stat").read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if "child_main" in cmdline and state[0] != "Z":
            parent = int(state[1])
            grandparent_stat = f"/proc/{parent}/stat"
            try:
                grandparent = int(open(grandparent_stat).read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError):
                continue
            if server_pid in (parent, grandparent):
                found.append(int(entry))
    return found


def _runaway_is_stopped(server, wait_until) -> None:
    """Send the runaway update while another client queries; check the 503 and the timing."""
    answers = []
    outcome = {}

    def run():
        started = time.monotonic()
        outcome["response"] = requests.post(f"{server.url}/update", data={"update": RUNAWAY}, headers=AUTH,
                                            timeout=120)
        outcome["elapsed"] = time.monotonic() - started

    thread = threading.Thread(target=run)
    thread.start()
    deadline = time.monotonic() + 60
    while thread.is_alive() and time.monotonic() < deadline and len(answers) < 3:
        answers.append(_mark_present(server.url))
    thread.join(120)
    assert answers and not any(answers)          # queries answered meanwhile, and nothing seen
    response = outcome["response"]
    assert response.status_code == 503, response.text
    error = response.json()["error"]
    assert error["code"] == "timeout"
    assert "time limit" in error["message"] and "nothing was changed" in error["message"]
    assert response.headers["Retry-After"] == "1"
    assert TIME_LIMIT <= outcome["elapsed"] < TIME_LIMIT + 30   # generous: loading the copy is not counted
    # The work really stopped: no update process is left running.
    assert wait_until(lambda: not _update_children(server.process.pid), 30)


def _snapshots(tmp: Path) -> list[str]:
    """The data snapshots in the runtime folder of a ``policykg serve`` started with TMPDIR=tmp."""
    return sorted(p.name for p in tmp.glob("policykg-run-*/snapshot-*"))


def test_a_runaway_update_in_memory_is_stopped_and_changes_nothing(server_factory, answering_pids, wait_until,
                                                                   tmp_path):
    server = server_factory(POLICYKG_ADMIN_TOKEN=TOKEN, TMPDIR=str(tmp_path))
    _runaway_is_stopped(server, wait_until)
    assert _snapshots(tmp_path) == []                # the failed update left no file behind
    # Every process still serves the old data…
    assert len(answering_pids(server.url, 2, each=lambda: _assert_absent(server.url))) == 2
    # …and the next update goes through: the update lock was released.
    done = requests.post(f"{server.url}/update", data={"update": SMALL}, headers=AUTH, timeout=60)
    assert done.status_code == 204, done.text
    assert len(answering_pids(server.url, 2, each=lambda: _assert_present(server.url))) == 2
    assert len(_snapshots(tmp_path)) == 1            # the published one


def test_a_runaway_update_on_a_store_folder_is_stopped_and_changes_nothing(server_factory, tmp_path, wait_until):
    store = tmp_path / "store"
    server = server_factory(POLICYKG_ADMIN_TOKEN=TOKEN, POLICYKG_STORE=str(store))
    _runaway_is_stopped(server, wait_until)
    done = requests.post(f"{server.url}/update", data={"update": SMALL}, headers=AUTH, timeout=60)
    assert done.status_code == 204, done.text
    server.stop()
    # What the folder holds after a restart: the small update, not the runaway one.
    again = server_factory(POLICYKG_STORE=str(store))
    assert _mark_present(again.url)
    count = requests.get(f"{again.url}/sparql", params={"query": f"SELECT (COUNT(*) AS ?n) {{ <{MARK}> ?p ?o }}"},
                         headers={"Accept": JSON_RESULTS}, timeout=30)
    assert count.json()["results"]["bindings"][0]["n"]["value"] == "1"


@pytest.mark.parametrize("text, expected", [
    (f"INSERT DATA {{ <{MARK}> <{MARK}> }}", "syntax error at line 1, column"),
    (f"INSERT DATA {{ <{MARK}> <{MARK}> <{MARK}> }} ;\nDELETE WHERE {{ ?s ?p }}", "syntax error at line 2"),
])
def test_a_bad_update_is_refused_with_its_position_and_changes_nothing(server_factory, text, expected, tmp_path):
    server = server_factory(POLICYKG_ADMIN_TOKEN=TOKEN, TMPDIR=str(tmp_path))
    response = requests.post(f"{server.url}/update", data=text.encode("utf-8"),
                             headers={**AUTH, "Content-Type": "application/sparql-update"}, timeout=60)
    assert response.status_code == 400, response.text
    assert expected in response.json()["error"]["message"]
    assert not _mark_present(server.url)
    assert _snapshots(tmp_path) == []


def _assert_absent(url: str) -> None:
    assert not _mark_present(url)


def _assert_present(url: str) -> None:
    assert _mark_present(url)
