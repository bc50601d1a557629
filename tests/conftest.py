"""Session fixtures shared by every test area.

built_dataset   the dataset built once per session by the real CLI (``policykg build``).
live_server     the base URL (no trailing slash, e.g. ``http://127.0.0.1:40123``) of the service over
                ``built_dataset`` with deliberately tiny limits: the Flask application in this process
                behind a real HTTP server (werkzeug's, threaded) on a free loopback port — for tests of
                what the application answers.
live_server_process  the REAL service (``policykg serve``: granian's supervisor, server and
                evaluation processes) in a subprocess with the same limits, for tests of the processes
                themselves (its ``.url``); tests using it are marked ``server``.
server_factory  start further servers with other settings: ``server_factory(POLICYKG_ADMIN_TOKEN="x")``.
"""
from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
from werkzeug.serving import make_server

from policykg.api import create_app
from policykg.settings import load_config
# Real SPARQL servers (Oxigraph server, Virtuoso) for the remote-store tests: tests/remote_servers.py.
from remote_servers import oxigraph_server, remote_url, virtuoso_server  # noqa: E402,F401

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


@pytest.fixture(scope="session")
def built_dataset(tmp_path_factory) -> Path:
    """Path of a TriG file with the whole dataset, built once per session.

    POLICYKG_TEST_DATASET names one built before instead: `make mutate` (tests/mutation/run.py) sets
    it for a module that plays no part in the build, so each mutant's tests skip building it again."""
    prebuilt = os.environ.get("POLICYKG_TEST_DATASET")
    if prebuilt:
        if not Path(prebuilt).is_file():
            pytest.fail(f"POLICYKG_TEST_DATASET={prebuilt}: no such file")
        return Path(prebuilt)
    out = tmp_path_factory.mktemp("dataset") / "policykg.trig"
    proc = subprocess.run(_cli("build", "--out", str(out)), cwd=ROOT, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0 or not out.is_file():
        pytest.fail(f"`policykg build` failed (status {proc.returncode}):\n{proc.stderr[-4000:]}")
    return out


def free_port() -> int:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerProcess:
    """A `policykg serve` subprocess on a free loopback port."""

    def __init__(self, data: Path | None, env: dict, log_path: Path, *, serve_args: tuple = (),
                 new_session: bool = False):
        """``data`` for ``--data`` (None: ``serve_args`` name the store, e.g. ``--store-url``);
        ``new_session``: its own process group, as a shell gives the foreground job in a terminal."""
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        full_env = dict(os.environ)
        # The data cache of the tests' servers is theirs, never the user's ~/.cache/policykg.
        full_env.setdefault("POLICYKG_DATA_CACHE", str(Path(log_path).parent / "data-cache"))
        full_env.update(LIVE_SERVER_ENV)
        full_env.update({k: str(v) for k, v in env.items()})
        self._log = open(log_path, "wb")
        source = ("--data", str(data)) if data is not None else ()
        self.process = subprocess.Popen(
            _cli("serve", *source, *serve_args, "--host", "127.0.0.1", "--port", str(self.port)),
            cwd=ROOT, env=full_env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=new_session,
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
def app_server(built_dataset):
    """Base URL of the application in this process, served over HTTP on a free loopback port with the
    session server's limits (read from the same LIVE_SERVER_ENV)."""
    settings = load_config({"data": str(built_dataset)}, environ={**os.environ, **LIVE_SERVER_ENV})
    server = make_server("127.0.0.1", 0, create_app(settings), threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="app-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(10)


# Fixtures of a server process: a test that uses one is a test of the processes.
PROCESS_FIXTURES = frozenset({"live_server_process", "server_factory", "answering_pids", "worker_pids",
                              "evaluation_pids"})


@pytest.fixture(scope="session")
def live_server(app_server) -> str:
    """Base URL (no trailing slash) of the application over ``built_dataset`` (see the module docstring)."""
    return app_server


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


def _evaluation_pids(server_pid: int) -> set[int]:
    """Live evaluation processes of a ``policykg serve`` supervisor: the children of its
    evaluation forker and of the forker of the in-memory copy, once loaded (named in its runtime
    folder, policykg.store.forking)."""
    import tempfile
    for folder in Path(tempfile.gettempdir()).glob("policykg-run-*"):
        try:
            if int((folder / "supervisor.pid").read_text().strip()) != server_pid:
                continue
            forker = int((folder / "forker.pid").read_text().strip())
        except (OSError, ValueError):
            continue
        pids = _worker_pids(forker)
        try:
            loader = int((folder / "memory.ready").read_text().strip())
        except (OSError, ValueError):
            return pids
        return (pids - {loader}) | _worker_pids(loader)
    return set()


@pytest.fixture(scope="session")
def evaluation_pids():
    """``evaluation_pids(server_pid) -> set[int]``: the live evaluation processes of a service."""
    return _evaluation_pids


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


# Tests that use a server process carry the ``server`` marker, so the fast loop (``make check``)
# can leave them out while ``make test`` runs everything.
def pytest_collection_modifyitems(config, items):
    for item in items:
        if PROCESS_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.server)
