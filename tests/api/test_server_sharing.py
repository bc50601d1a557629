"""The processes of ``policykg serve`` share one copy of the data (issue 19).

The data is loaded once (in the background, by the forker of the in-memory copy, while its
store folder answers) and every evaluation process is forked after the load
(policykg.store.shared, policykg.store.forking). Measured as the sum of PSS over all
the service's processes (shared pages split between the processes sharing them): serving a
larger graph costs the service less than twice what that extra data costs one process, where
eight processes (supervisor, forker, 2 server and 4 evaluation processes) that each held their
own copy would cost about eight times.
"""
from __future__ import annotations

import subprocess
import sys
import time

import pytest
import requests

from bench.generate import build_city
from bench.measure import service_processes

JSON_RESULTS = "application/sparql-results+json"
SCAN = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"   # walks every quad of the union default graph


def _service(pid: int) -> list[int]:
    """The supervisor, its server processes, the evaluation forker and the evaluation processes."""
    return service_processes(pid)


def _pss_mb(pid: int) -> float:
    total = 0
    for p in _service(pid):
        try:
            with open(f"/proc/{p}/smaps_rollup", encoding="ascii") as fh:
                total += next(int(line.split()[1]) for line in fh if line.startswith("Pss:"))
        except (OSError, StopIteration):
            continue
    return total / 1024


def _one_copy_mb(data) -> float:
    """PSS one process adds by loading ``data`` into a pyoxigraph store."""
    code = ("import sys, pyoxigraph as ox\n"
            "from pathlib import Path\n"
            "from policykg.store.backend import load_file\n"
            "def pss():\n"
            "    return next(int(l.split()[1]) for l in open('/proc/self/smaps_rollup') if l.startswith('Pss:'))\n"
            "before = pss(); s = ox.Store(); load_file(s, Path(sys.argv[1])); print((pss() - before) / 1024)\n")
    out = subprocess.run([sys.executable, "-c", code, str(data)], capture_output=True, text=True, timeout=300,
                         check=True)
    return float(out.stdout.strip())


@pytest.fixture(scope="module")
def larger_graph(built_dataset, tmp_path_factory):
    """The bundled dataset and about 100,000 generated quads of communities."""
    return build_city(built_dataset, tmp_path_factory.mktemp("sharing") / "city.nq", communities=110)


def _in_memory(server, seconds: float = 180) -> None:
    """Wait until the in-memory copy, loaded in the background, serves the evaluation processes."""
    deadline = time.monotonic() + seconds
    while "loaded in memory" not in server.log():
        assert time.monotonic() < deadline and server.alive(), server.log()[-3000:]
        time.sleep(0.2)


def _settled_pss(server, answering_pids) -> float:
    assert len(answering_pids(server.url, 2)) == 2   # both server processes up, with their evaluation processes
    _in_memory(server)   # the store folder answers first; the shared in-memory copy is what is measured
    # Queries that walk the whole graph, in the evaluation processes: each that copied much of
    # what it walked is replaced by a fresh fork (at once: query_refork=0), so the data stays shared.
    for n in range(6):
        response = requests.get(f"{server.url}/sparql", params={"query": f"{SCAN} # {n}"},
                                headers={"Accept": JSON_RESULTS}, timeout=60)
        assert response.status_code == 200
    time.sleep(1.0)
    return _pss_mb(server.process.pid)


def test_two_server_processes_share_the_data(server_factory, answering_pids, built_dataset, larger_graph):
    extra = _one_copy_mb(larger_graph) - _one_copy_mb(built_dataset)
    assert extra > 30, extra    # the larger graph is large enough to tell sharing from copies
    small = server_factory(POLICYKG_QUERY_WORKERS="2", POLICYKG_QUERY_PROCESSES="2",
                           POLICYKG_QUERY_REFORK="0")
    try:
        small_pss = _settled_pss(small, answering_pids)
    finally:
        small.stop()
    large = server_factory(data=larger_graph, POLICYKG_QUERY_WORKERS="2", POLICYKG_QUERY_PROCESSES="2",
                           POLICYKG_QUERY_REFORK="0")
    try:
        large_pss = _settled_pss(large, answering_pids)
        assert len(_service(large.process.pid)) >= 8   # supervisor, forker, 2 servers, 4 evaluations
        breakdown = _breakdown(large.process.pid)
    finally:
        large.stop()
    # Eight processes with a copy each would add about 8 × extra.
    assert large_pss - small_pss < 2 * extra, (large_pss, small_pss, extra, breakdown)


def _breakdown(pid: int) -> str:
    lines = []
    for p in _service(pid):
        try:
            with open(f"/proc/{p}/smaps_rollup", encoding="ascii") as fh:
                fields = {l.split(":")[0]: int(l.split()[1]) // 1024 for l in fh if l.split(":")[0] in
                          ("Pss", "Rss", "Private_Dirty")}
            lines.append(f"{p}: {fields}")
        except OSError:
            continue
    return "\n".join(lines)


def test_with_the_defaults_scans_leave_the_data_shared_once_idle(server_factory, answering_pids, built_dataset,
                                                                 larger_graph):
    """query_refork at its default (10 s): an evaluation process keeps the copy its scans made
    while queries keep coming, and is replaced by a fresh fork after a second without one."""
    extra = _one_copy_mb(larger_graph) - _one_copy_mb(built_dataset)
    small = server_factory(POLICYKG_QUERY_WORKERS="2", POLICYKG_QUERY_PROCESSES="2")
    try:
        small_pss = _settled_pss(small, answering_pids)
    finally:
        small.stop()
    large = server_factory(data=larger_graph, POLICYKG_QUERY_WORKERS="2", POLICYKG_QUERY_PROCESSES="2")
    try:
        scanned = _settled_pss(large, answering_pids)   # 1 s after the scans: copies may still be there
        settled = scanned
        deadline = time.monotonic() + 8
        while time.monotonic() < deadline and settled - small_pss >= 2 * extra:
            time.sleep(0.5)
            settled = _pss_mb(large.process.pid)
        breakdown = _breakdown(large.process.pid)
    finally:
        large.stop()
    assert settled - small_pss < 2 * extra, (settled, scanned, small_pss, extra, breakdown)
