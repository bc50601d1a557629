"""Server processes: replaced when they die, never outlive the supervisor, stopped on SIGTERM."""
from __future__ import annotations

import os
import signal
import time

import requests

from policykg.serve.supervisor import WSGI_TARGET, guard_signal_handlers

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


def test_a_signal_inside_a_signal_handler_does_not_hang_the_supervisor():
    """Python runs a signal's handler inside the handler of an earlier one when it lands there;
    granian's handlers set a threading.Event, whose lock the inner one would wait for forever."""
    import threading

    from granian import Granian
    from granian.constants import Interfaces

    server = Granian(WSGI_TARGET, address="127.0.0.1", port=0, interface=Interfaces.WSGI, workers=2)
    guard_signal_handlers(server)

    class SignalInside(threading.Event):
        """An Event into whose set() a SIGTERM arrives while set() holds the Event's lock."""
        nested = True

        def set(self):
            with self._cond:
                if self.nested:
                    self.nested = False
                    server.signal_handler_interrupt()     # the SIGTERM's handler, on the same thread
                self._flag = True
                self._cond.notify_all()

    server.main_loop_interrupt = SignalInside()
    outer = threading.Thread(target=server.signal_handler_reload, daemon=True)   # the SIGHUP's handler
    outer.start()
    outer.join(10)
    assert not outer.is_alive(), "the handlers deadlocked"
    assert server.main_loop_interrupt.is_set()
    assert server.reload_signal and server.interrupt_signal       # both signals reach the main loop
    # Once the handlers have returned, a later signal is handled in full again.
    server.main_loop_interrupt = threading.Event()
    server.signal_handler_reload()
    assert server.main_loop_interrupt.is_set()
