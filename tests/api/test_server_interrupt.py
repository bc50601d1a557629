"""Ctrl-C stops `policykg serve` and every process it started within 2 s, also after a busy period
(issue 16): queries over the time limit (so server processes are being replaced), cheap ones, and
some still in flight when the terminal sends SIGINT to the whole foreground process group."""
from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pytest
import requests

from conftest import ServerProcess

pytestmark = pytest.mark.server

BUSY_SECONDS = 20          # long enough for several replacements under the session's 2 s time limit
STOP_SECONDS = 2.0
HEAVY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"      # runs over the limit
CHEAP = "ASK { ?s ?p ?o }"


def _group_members(pgid: int) -> list[int]:
    """Processes of the group that are still running (zombies waiting for their parent's wait() are not)."""
    alive = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[2]) == pgid and fields[0] != "Z":
            alive.append(int(entry.name))
    return alive


def _load(url: str, stop: threading.Event, query: str) -> None:
    while not stop.is_set():
        try:
            requests.post(f"{url}/sparql", data={"query": query}, timeout=10,
                          headers={"Accept": "application/sparql-results+json"})
        except requests.RequestException:
            time.sleep(0.1)


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc to list the process group")
def test_ctrl_c_stops_every_process_within_two_seconds_after_a_busy_period(built_dataset, tmp_path):
    # its own session and process group, as a shell gives the foreground job in a terminal
    service = ServerProcess(built_dataset, {"POLICYKG_QUERY_WORKERS": "2"}, tmp_path / "serve.log", new_session=True)
    server, url = service.process, service.url
    pgid = server.pid
    stop = threading.Event()
    threads = []
    try:
        threads = [threading.Thread(target=_load, args=(url, stop, q), daemon=True)
                   for q in (HEAVY, HEAVY, CHEAP, CHEAP)]
        for thread in threads:
            thread.start()
        time.sleep(BUSY_SECONDS)
        members = _group_members(pgid)
        assert len(members) >= 3, members        # the supervisor and its server processes at least
        os.killpg(pgid, signal.SIGINT)           # what Ctrl-C in a terminal does
        sent = time.monotonic()
        while _group_members(pgid) and time.monotonic() - sent < 15:
            time.sleep(0.05)
        took = time.monotonic() - sent
        left = _group_members(pgid)
        assert not left and took <= STOP_SECONDS, (
            f"{len(left)} process(es) left {took:.1f} s after SIGINT: {left}\n"
            + (tmp_path / "serve.log").read_text(errors="replace")[-3000:])
        assert server.wait(5) is not None
    finally:
        stop.set()
        for thread in threads:
            thread.join(15)
        if server.poll() is None or _group_members(pgid):
            try:
                os.killpg(pgid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            server.wait(15)
        service.stop()
