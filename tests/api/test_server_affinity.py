"""CPU pinning of the server processes (policykg.serve.affinity): one CPU each, kept even
when the supervisor replaces a process."""
from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from policykg.serve import affinity
from policykg.settings import load_config

CPUS = affinity.usable_cpus()
needs_two_cpus = pytest.mark.skipif(len(CPUS) < 2 or not hasattr(os, "sched_setaffinity"),
                                    reason="pinning needs Linux and two CPUs")


def _allowed(pid: int, tid: int | None = None) -> set[int]:
    return set(os.sched_getaffinity(tid if tid is not None else pid))


def _thread_cpus(pid: int) -> list[set[int]]:
    """The allowed CPUs of every thread of ``pid``."""
    found = []
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            found.append(_allowed(pid, int(tid)))
        except OSError:   # the thread ended
            pass
    return found


def test_when_to_pin():
    assert affinity.wanted("on", 1, [0, 1])
    assert affinity.wanted("auto", 2, [0, 1]) and affinity.wanted("auto", 3, [0, 1])
    assert not affinity.wanted("auto", 2, [0, 1, 2, 3])      # would leave CPUs unused
    assert not affinity.wanted("off", 8, [0, 1])
    assert not affinity.wanted("on", 2, [0])                 # nothing to choose
    assert [affinity.assign(n, [2, 5]) for n in range(5)] == [2, 5, 2, 5, 2]


def test_an_unknown_setting_is_refused():
    with pytest.raises(ValueError, match="cpu_affinity"):
        load_config({"cpu_affinity": "sometimes"})


@needs_two_cpus
def test_registration_order_gives_the_cpu_and_dead_processes_are_forgotten(tmp_path, monkeypatch):
    pinned = []
    monkeypatch.setattr(affinity, "pin_all_threads", pinned.append)
    servers = tmp_path / "servers"
    servers.mkdir()
    older = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait(30)
    try:
        (servers / str(dead.pid)).write_text("1")               # registered first, but gone
        (servers / str(older.pid)).write_text("2")
        pinning = affinity.CpuPinning(tmp_path, [3, 7])          # registers now: after both
        pinning.balance()
        assert pinned == [7] and pinning.cpu == 7                # second of the live ones
        assert not (servers / str(dead.pid)).exists()
        pinning.balance()
        assert pinned == [7]                                     # unchanged: nothing to do
        older.kill()
        older.wait(30)
        pinning.balance()                                        # the older one was replaced
        assert pinned == [7, 3] and pinning.cpu == 3
    finally:
        older.kill()
        older.wait(30)


@needs_two_cpus
def test_each_server_process_and_all_its_threads_get_a_cpu_of_their_own(server_factory, worker_pids,
                                                                          answering_pids, wait_until):
    server = server_factory(POLICYKG_QUERY_WORKERS="2", POLICYKG_CPU_AFFINITY="on")
    pids = worker_pids(server.process.pid)
    assert answering_pids(server.url, 2) == pids

    def spread(processes) -> bool:
        now = [_allowed(pid) for pid in processes]
        return all(len(c) == 1 for c in now) and len(set.union(*now)) == 2   # two different CPUs

    # Processes that start together may first take the same CPU; the watch thread spreads
    # them within a second or two.
    assert wait_until(lambda: spread(pids), 10), {pid: _allowed(pid) for pid in pids}
    cpus = {pid: _allowed(pid) for pid in pids}
    for pid in pids:
        assert all(c == cpus[pid] for c in _thread_cpus(pid)), f"a thread of {pid} is not pinned"
    import requests

    reported = requests.get(f"{server.url}/healthz", timeout=30).json()
    assert set(reported["cpus"]) == cpus[reported["pid"]]
    # A replaced process takes the CPU that was freed.
    victim = min(pids)
    os.kill(victim, signal.SIGKILL)
    assert wait_until(lambda: len(worker_pids(server.process.pid) - {victim}) == 2, 60)
    fresh = worker_pids(server.process.pid) - {victim}
    assert wait_until(lambda: spread(fresh), 30), {pid: _allowed(pid) for pid in fresh}


@needs_two_cpus
def test_off_leaves_the_processes_free(server_factory, worker_pids, answering_pids):
    server = server_factory(POLICYKG_QUERY_WORKERS="2", POLICYKG_CPU_AFFINITY="off")
    pids = worker_pids(server.process.pid)
    assert answering_pids(server.url, 2) == pids
    assert all(_allowed(pid) == set(CPUS) for pid in pids)
