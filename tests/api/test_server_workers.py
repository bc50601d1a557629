"""Query workers: replaced when they die, never outlive the service, stopped on SIGTERM."""
from __future__ import annotations

import os
import signal
import time

import requests

JSON_RESULTS = "application/sparql-results+json"



def _ask(url: str) -> requests.Response:
    return requests.get(f"{url}/sparql", params={"query": f"ASK {{ ?s ?p ?o }} # {time.monotonic()}"},
                        headers={"Accept": JSON_RESULTS}, timeout=60)


def _wait(predicate, seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_a_worker_killed_while_idle_is_replaced_without_failing_queries(server_factory, worker_pids):
    server = server_factory(POLICYKG_QUERY_WORKERS="2")
    pids = worker_pids(server.process.pid)
    assert len(pids) == 2
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
    assert _wait(lambda: not any(_alive(p) for p in pids), 30)
    # both workers are gone: the next queries are still answered, by fresh workers
    for _ in range(3):
        response = _ask(server.url)
        assert response.status_code in (200, 503)
        if response.status_code == 200:
            break
    assert _wait(lambda: _ask(server.url).status_code == 200, 60)
    assert _wait(lambda: len(worker_pids(server.process.pid)) == 2, 60)
    assert not (worker_pids(server.process.pid) & pids)


def test_workers_end_with_the_service(server_factory, worker_pids):
    server = server_factory(POLICYKG_QUERY_WORKERS="2")
    pids = worker_pids(server.process.pid)
    assert len(pids) == 2
    server.process.kill()          # not even a chance to clean up
    server.process.wait(30)
    assert _wait(lambda: not any(_alive(p) for p in pids), 30)


def test_sigterm_stops_workers(server_factory, worker_pids):
    server = server_factory(POLICYKG_QUERY_WORKERS="1")
    pids = worker_pids(server.process.pid)
    assert pids
    server.process.terminate()
    assert server.process.wait(30) is not None
    assert _wait(lambda: not any(_alive(p) for p in pids), 30)
