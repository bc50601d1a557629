"""Files the service generates (dumps, graph files, the ontology documentation) live in its runtime folder,
shared by its server processes and removed with the service (issue 15, item 5): replacing processes does not
leave folders behind, nothing of the service stays in the temporary directory once it has stopped, and the
folder of a service whose supervisor was killed (which could not remove it) goes at the next start."""
from __future__ import annotations

import os
import signal
import time

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

GENERATED = ("/dump.nq", "/graph/statements?format=nt", "/ontology/")


def _ours(tmp) -> list[str]:
    return sorted(p.name for p in tmp.iterdir() if p.name.startswith("policykg-"))


def _fetch_all(url: str) -> None:
    # This test counts folders, not availability: a connection refused while a process is still
    # starting is tried again, as HTTP clients do.
    with requests.Session() as session:
        session.mount("http://", HTTPAdapter(max_retries=Retry(total=5, connect=5, backoff_factor=0.5)))
        for _ in range(4):                            # new connections: both processes answer some
            for path in GENERATED:
                response = session.get(url + path, headers={"Connection": "close"}, timeout=120)
                assert response.status_code == 200, (path, response.status_code)


def _wait_answering(url: str) -> None:
    """Until the fresh processes answer (on a busy machine they may still be opening the data)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{url}/healthz", headers={"Connection": "close"}, timeout=10).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    raise AssertionError("the service did not answer after its processes were replaced")


def test_generated_files_do_not_pile_up_and_go_with_the_service(server_factory, worker_pids, tmp_path):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    server = server_factory(TMPDIR=str(tmp), POLICYKG_QUERY_WORKERS="2")
    _fetch_all(server.url)
    for _ in range(3):                                # three replacements of every server process
        before = worker_pids(server.process.pid)
        os.kill(server.process.pid, signal.SIGHUP)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            now = worker_pids(server.process.pid)
            if len(now) == len(before) and not (now & before):
                break
            time.sleep(0.2)
        assert not (worker_pids(server.process.pid) & before), "the processes were not replaced"
        _wait_answering(server.url)
        _fetch_all(server.url)
    ours = _ours(tmp)
    assert len(ours) == 1 and ours[0].startswith("policykg-run-"), ours   # the runtime folder alone
    generated = sorted(p.name for p in (tmp / ours[0] / "generated").iterdir())
    assert len(generated) == 2 and generated[1] == "ontology-docs" and generated[0].startswith("dumps-"), generated
    _stop_and_wait(server)
    assert _ours(tmp) == []


def _stop_and_wait(server) -> None:
    """SIGTERM, and time for a graceful stop even on a busy machine (granian waits for its processes)."""
    server.process.terminate()
    server.process.wait(120)
    assert server.process.returncode == 0


def test_the_folder_of_a_killed_service_goes_at_the_next_start(server_factory, worker_pids, tmp_path):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    first = server_factory(TMPDIR=str(tmp))
    assert requests.get(f"{first.url}/dump.nq", timeout=120).status_code == 200
    abandoned = _ours(tmp)
    assert len(abandoned) == 1
    workers = worker_pids(first.process.pid)
    first.process.kill()                               # no chance to clean up
    first.process.wait(30)
    deadline = time.monotonic() + 30                   # its server processes end with it
    while any(os.path.exists(f"/proc/{pid}") for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _ours(tmp) == abandoned
    second = server_factory(TMPDIR=str(tmp))
    assert abandoned[0] not in _ours(tmp) and len(_ours(tmp)) == 1
    _stop_and_wait(second)
    assert _ours(tmp) == []
