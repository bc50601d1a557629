"""Server processes: replaced when they die, never outlive the supervisor, stopped on SIGTERM."""
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


def test_a_server_process_killed_is_replaced_while_the_other_answers(server_factory, worker_pids, answering_pids):
    server = server_factory(POLICYKG_QUERY_WORKERS="2")
    pids = worker_pids(server.process.pid)
    assert len(pids) == 2
    assert answering_pids(server.url, 2) == pids     # both have loaded the data and answer
    victim = min(pids)
    os.kill(victim, signal.SIGKILL)
    assert _wait(lambda: not _alive(victim), 30)
    # the other process keeps answering: no query fails meanwhile (a client retries a GET
    # once on a reset connection, as HTTP clients do: one may have been queued at the dead one)
    from requests.adapters import HTTPAdapter
    from urllib3.util.retry import Retry

    with requests.Session() as session:
        session.mount("http://", HTTPAdapter(max_retries=Retry(total=2, connect=2, read=2, backoff_factor=0.1)))
        for n in range(10):
            response = session.get(f"{server.url}/sparql", params={"query": f"ASK {{ ?s ?p ?o }} # {n}"},
                                   headers={"Accept": JSON_RESULTS}, timeout=60)
            assert response.status_code == 200
    assert _wait(lambda: len(worker_pids(server.process.pid)) == 2, 60)
    assert victim not in worker_pids(server.process.pid)


def test_the_service_recovers_when_every_server_process_dies(server_factory, worker_pids):
    server = server_factory(POLICYKG_QUERY_WORKERS="2")
    pids = worker_pids(server.process.pid)
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
    assert _wait(lambda: not any(_alive(p) for p in pids), 30)

    def answered() -> bool:
        try:
            return _ask(server.url).status_code == 200
        except requests.ConnectionError:   # nobody listens until the fresh processes are up
            return False

    assert _wait(answered, 60)
    assert _wait(lambda: len(worker_pids(server.process.pid)) == 2, 60)
    assert not (worker_pids(server.process.pid) & pids)
    assert server.alive()


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
