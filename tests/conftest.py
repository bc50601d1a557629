"""Session fixtures shared by every test area.

built_dataset   the dataset built once per session by the real CLI (``policykg build``),
                or, while the loader cannot build yet, a tiny hand-written stand-in.
live_server     the REAL service (``policykg serve``) in a subprocess on a free loopback
                port, over ``built_dataset``, with deliberately tiny limits; yields its
                base URL without a trailing slash, e.g. ``http://127.0.0.1:40123``.
server_factory  start further servers with other settings: ``server_factory(POLICYKG_ADMIN_TOKEN="x")``.
"""
from __future__ import annotations

import contextlib
import importlib.util
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parent.parent
BASE = "https://w3id.org/policykg/"

# The limits of the session server: small enough that tests can hit each one quickly.
LIVE_SERVER_ENV = {
    "POLICYKG_QUERY_TIMEOUT": "2",
    "POLICYKG_MAX_RESULTS": "5000",
    "POLICYKG_MAX_QUERY_LENGTH": "20000",
    "POLICYKG_MAX_NESTING": "64",
    "POLICYKG_QUERY_WORKERS": "2",
    "POLICYKG_THREADS": "8",
    "POLICYKG_ADMIN_TOKEN": "",
}
STARTUP_SECONDS = 120


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "policykg.cli", *args]


def _loader_can_build() -> bool:
    try:
        return (importlib.util.find_spec("policykg.loader.commands") is not None
                and importlib.util.find_spec("policykg.loader.dataset") is not None)
    except ImportError:
        return False


# A stand-in with the shape of the real dataset (named graphs, document units with
# text and selectors, a statement with provenance), used only until `policykg build` exists.
_TINY_TRIG = """\
@prefix pkg: <https://w3id.org/policykg/def/> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix oa: <http://www.w3.org/ns/oa#> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix doc: <https://w3id.org/policykg/id/doc/suzhou-2011-community-party-building/> .

<https://w3id.org/policykg/graph/ontology> {
  pkg:CommunityPartyOrganization a owl:Class ; rdfs:label "社区党组织"@zh , "community Party organization"@en .
  pkg:ResidentsCommittee a owl:Class ; rdfs:label "社区居民委员会"@zh , "residents' committee"@en .
  pkg:leadsAndGuides a owl:ObjectProperty ; rdfs:label "领导和指导"@zh , "leads and guides"@en .
  pkg:text a owl:DatatypeProperty ; rdfs:label "文本"@zh , "text"@en .
}

<https://w3id.org/policykg/graph/document> {
  <https://w3id.org/policykg/id/doc/suzhou-2011-community-party-building>
      dcterms:title "关于进一步加强城市社区党组织建设的意见"@zh ;
      dcterms:hasPart doc:art\\/1 , doc:art\\/2 , doc:art\\/5 .
  doc:art\\/1 pkg:ordinal 1 ; pkg:text "坚持党的领导。"@zh ; pkg:hasTextSegment doc:art\\/1\\#text .
  doc:art\\/1\\#text a oa:SpecificResource ; oa:hasSelector doc:art\\/1\\#position .
  doc:art\\/1\\#position a oa:TextPositionSelector ; oa:start 10 ; oa:end 17 .
  doc:art\\/2 pkg:ordinal 2 ; pkg:text "健全组织体系。"@zh .
  doc:art\\/5 pkg:ordinal 5 ; pkg:text "社区党组织领导和指导社区居民委员会的工作。"@zh .
}

<https://w3id.org/policykg/graph/statements> {
  pkg:CommunityPartyOrganization pkg:leadsAndGuides pkg:ResidentsCommittee .
  doc:statement\\/s1 a pkg:RelationStatement ;
      rdf:subject pkg:CommunityPartyOrganization ; rdf:predicate pkg:leadsAndGuides ;
      rdf:object pkg:ResidentsCommittee ;
      rdfs:label "社区党组织领导和指导社区居民委员会"@zh ;
      prov:wasDerivedFrom doc:art\\/5 .
}
"""


def _write_tiny_dataset(path: Path) -> None:
    # Generate more statements so that limits (max_results) can be reached in tests.
    extra = ["<https://w3id.org/policykg/graph/background> {"]
    for i in range(1, 3001):
        extra.append(f"  <https://w3id.org/policykg/id/agent/community-{i}> "
                     f"<http://www.w3.org/2000/01/rdf-schema#label> \"社区{i}\"@zh .")
    extra.append("}")
    path.write_text(_TINY_TRIG + "\n".join(extra) + "\n", encoding="utf-8")


@pytest.fixture(scope="session")
def built_dataset(tmp_path_factory) -> Path:
    """Path of a TriG file with the whole dataset, built once per session."""
    out = tmp_path_factory.mktemp("dataset") / "policykg.trig"
    if _loader_can_build():
        proc = subprocess.run(_cli("build", "--out", str(out)), cwd=ROOT, capture_output=True,
                              text=True, timeout=600)
        if proc.returncode != 0 or not out.is_file():
            pytest.fail(f"`policykg build` failed (status {proc.returncode}):\n{proc.stderr[-4000:]}")
    else:
        _write_tiny_dataset(out)
    return out


def free_port() -> int:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerProcess:
    """A `policykg serve` subprocess on a free loopback port."""

    def __init__(self, data: Path, env: dict, log_path: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        full_env = dict(os.environ)
        full_env.update(LIVE_SERVER_ENV)
        full_env.update({k: str(v) for k, v in env.items()})
        self._log = open(log_path, "wb")
        self.process = subprocess.Popen(
            _cli("serve", "--data", str(data), "--host", "127.0.0.1", "--port", str(self.port)),
            cwd=ROOT, env=full_env, stdout=self._log, stderr=subprocess.STDOUT,
        )
        self._wait_healthy()

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"policykg serve exited with {self.process.returncode}:\n{self.log()[-4000:]}")
            try:
                if requests.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"policykg serve did not become healthy in {STARTUP_SECONDS} s:\n{self.log()[-4000:]}")

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(15)
        self._log.close()


@pytest.fixture(scope="session")
def server_factory(built_dataset, tmp_path_factory):
    """Start extra servers: ``server_factory(POLICYKG_ADMIN_TOKEN="t", data=path)`` → ServerProcess."""
    servers: list[ServerProcess] = []

    def start(data: Path | None = None, **env) -> ServerProcess:
        log_path = tmp_path_factory.mktemp("server") / "serve.log"
        server = ServerProcess(data or built_dataset, env, log_path)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture(scope="session")
def live_server_process(server_factory) -> ServerProcess:
    """The session server itself (for tests that check its log or that it is still running)."""
    return server_factory()


@pytest.fixture(scope="session")
def live_server(live_server_process) -> str:
    """Base URL (no trailing slash) of the real service over ``built_dataset``."""
    return live_server_process.url


def _worker_pids(server_pid: int) -> set[int]:
    """Live server processes of a ``policykg serve`` supervisor: its children (zombies excluded)."""
    pids = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == server_pid and fields[0] != "Z":
            pids.add(int(entry))
    return pids


def _answering_pids(url: str, expected: int, each=None, seconds: float = 60) -> set[int]:
    """Ask /healthz on new connections until ``expected`` server processes have answered
    (at most ``seconds``); ``each()`` runs before every ask, to check something in turn."""
    seen: set[int] = set()
    deadline = time.monotonic() + seconds
    while len(seen) < expected and time.monotonic() < deadline:
        if each is not None:
            each()
        seen.add(requests.get(f"{url}/healthz", timeout=30).json()["pid"])
    return seen


@pytest.fixture(scope="session")
def answering_pids():
    """``answering_pids(url, expected, each=None) -> set[int]``: the server processes seen answering."""
    return _answering_pids


@pytest.fixture(scope="session")
def worker_pids():
    """``worker_pids(server_pid) -> set[int]``: the live server processes under a supervisor."""
    return _worker_pids


def _wait_until(predicate, seconds: float) -> bool:
    """Whether ``predicate()`` became true within ``seconds`` (polled every 0.2 s)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return predicate()


@pytest.fixture(scope="session")
def wait_until():
    """``wait_until(predicate, seconds) -> bool``: poll until true or out of time."""
    return _wait_until


# Fixtures that start a real server process: tests using them carry the ``server`` marker, so the
# fast loop (``make check``) can leave them out while ``make test`` runs everything.
SERVER_FIXTURES = frozenset({"live_server", "live_server_process", "server_factory", "answering_pids",
                             "worker_pids"})


def pytest_collection_modifyitems(config, items):
    for item in items:
        if SERVER_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.server)
