"""The peers of the benchmark, each started on a free loopback port over the same data, and
the keep-alive HTTP client that asks them (see :mod:`bench.run`)."""
from __future__ import annotations

import contextlib
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

from policykg.store.remote import quick_ack

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
RESULTS_JSON = "application/sparql-results+json"
NTRIPLES = "application/n-triples"


def free_port() -> int:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------------------
# Peers
# ---------------------------------------------------------------------------

class Peer:
    name = "peer"

    def __init__(self, data: Path, workdir: Path):
        self.data = data
        self.workdir = workdir
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.log_path = workdir / f"{self.name}.log"

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.path}"

    path = "/sparql"

    def command(self) -> list[str]:
        raise NotImplementedError

    def prepare(self) -> None:
        pass

    def env(self) -> dict:
        return dict(os.environ)

    def start(self, timeout: float = 900) -> float:
        started = time.monotonic()
        self.prepare()
        self._log = open(self.log_path, "ab")
        self.process = subprocess.Popen(self.command(), cwd=ROOT, env=self.env(), stdout=self._log,
                                        stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}; see {self.log_path}")
            try:
                status, _ = request(self, "ASK { ?s ?p ?o }", RESULTS_JSON, timeout=5)
                if status == 200:
                    self.after_start()
                    return time.monotonic() - started
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"{self.name} did not answer within {timeout:.0f} s; see {self.log_path}")

    def after_start(self) -> None:
        pass

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(20)
        self.process = None
        with contextlib.suppress(Exception):
            self._log.close()


MEMORY_LOADED = "loaded in memory"   # the service's log line once its in-memory copy serves (policykg.store.shared)


def wait_in_memory(log: Path, offset: int, started: float, seconds: float = 1800) -> float | None:
    """Seconds from ``started`` until the service's log (past ``offset``) says its in-memory copy,
    loaded in the background, serves the queries; None when it does not within ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with open(log, "rb") as fh:
            fh.seek(offset)
            text = fh.read().decode("utf-8", "replace")
        if MEMORY_LOADED in text:
            return time.monotonic() - started
        if "serving" in text and "exceeds data_memory_mb" in text:
            return None   # served from the store folder only
        time.sleep(0.2)
    return None


# How the benchmark runs policykg (and the HTTP floor, with the same processes and threads).
POLICYKG_SETTINGS = {
    "POLICYKG_QUERY_WORKERS": str(os.cpu_count() or 2),
    "POLICYKG_THREADS": "8",
    "POLICYKG_QUERY_TIMEOUT": "120",
    "POLICYKG_MAX_RESULTS": "10000000",
}


class PolicykgPeer(Peer):
    name = "policykg"
    in_memory = True    # it loads an in-memory copy of the data in the background (not over a remote store)

    def command(self):
        return [str(VENV_BIN / "policykg"), "serve", "--data", str(self.data), "--host", "127.0.0.1",
                "--port", str(self.port)]

    def env(self):
        # The data cache in the benchmark's folder (kept between runs, like the Oxigraph store).
        return {**os.environ, **POLICYKG_SETTINGS, "POLICYKG_DATA_CACHE": str(self.workdir.parent / "data-cache")}

    def after_start(self) -> None:
        """Wait until every server process has loaded the data and answers (a new connection
        may reach any of them), so no measurement runs beside a process still loading."""
        wanted = int(self.env()["POLICYKG_QUERY_WORKERS"])
        seen: set[int] = set()
        deadline = time.monotonic() + 900
        while len(seen) < wanted and time.monotonic() < deadline:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            try:
                conn.request("GET", "/healthz")
                seen.add(json.loads(conn.getresponse().read())["pid"])
            except (OSError, ValueError, KeyError):
                time.sleep(0.2)
            finally:
                conn.close()
        # The store folder answers first; the in-memory copy loads in the background: measure that.
        if self.in_memory and wait_in_memory(self.log_path, self._log_offset, time.monotonic()) is None:
            print(f"{self.name}: served from its store folder (no in-memory copy)", file=sys.stderr, flush=True)

    def prepare(self) -> None:
        self.log_path.touch()
        self._log_offset = self.log_path.stat().st_size


class PolicykgThreadsPeer(PolicykgPeer):
    """policykg evaluating on threads of its server processes (``query_processes=0``): beside
    ``policykg``, the cost of evaluating each query in an evaluation process (store/isolation.py)."""
    name = "policykg-threads"

    def env(self):
        return {**super().env(), "POLICYKG_QUERY_PROCESSES": "0"}


class PolicykgCachePeer(PolicykgPeer):
    """policykg serving its data from the store folder kept in its data cache whatever the size
    (``data_memory_mb=0``; built at the first start, reopened after): start-up without parsing,
    the data on disk instead of in memory."""
    name = "policykg-cache"

    def env(self):
        return {**super().env(), "POLICYKG_DATA_MEMORY_MB": "0"}


class PolicykgMemoryPeer(PolicykgPeer):
    """policykg loading the in-memory copy whatever its size (``data_memory_mb`` past any file):
    beside ``policykg``, which serves data whose copy exceeds a quarter of the machine's memory
    from its store folder only."""
    name = "policykg-mem"

    def env(self):
        return {**super().env(), "POLICYKG_DATA_MEMORY_MB": "1000000"}


class PolicykgKeepPeer(PolicykgPeer):
    """policykg whose idle evaluation processes keep what their scans copied (``query_idle_refork=0``):
    beside ``policykg``, what giving the copies back after an idle second costs in speed."""
    name = "policykg-keep"

    def env(self):
        return {**super().env(), "POLICYKG_QUERY_IDLE_REFORK": "0"}


class OxigraphPeer(Peer):
    name = "oxigraph"

    def prepare(self):
        self.location = self.workdir / "oxigraph-store"
        stamp = self.location / ".policykg-source"
        key = f"{self.data} {self.data.stat().st_mtime_ns}"
        if not (stamp.exists() and stamp.read_text() == key):
            shutil.rmtree(self.location, ignore_errors=True)
            subprocess.run([str(VENV_BIN / "oxigraph"), "load", "--location", str(self.location),
                            "--file", str(self.data)], check=True, capture_output=True, timeout=1800)
            stamp.write_text(key)

    def command(self):
        return [str(VENV_BIN / "oxigraph"), "serve-read-only", "--location", str(self.location),
                "--bind", f"127.0.0.1:{self.port}", "--union-default-graph"]

    path = "/query"


class OxigraphMemoryPeer(Peer):
    name = "oxigraph-mem"
    path = "/query"

    def command(self):
        return [str(VENV_BIN / "oxigraph"), "serve", "--bind", f"127.0.0.1:{self.port}", "--union-default-graph"]

    def after_start(self):
        media = "application/n-quads" if self.data.suffix == ".nq" else "application/trig"
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=1800)
        with open(self.data, "rb") as fh:
            conn.request("POST", "/store", body=fh, headers={"Content-Type": media})
            response = conn.getresponse()
            response.read()
        conn.close()
        if response.status >= 300:
            raise RuntimeError(f"oxigraph-mem: loading the data failed with {response.status}")


class RdflibPeer(Peer):
    name = "rdflib"

    def command(self):
        return [sys.executable, "-m", "bench.rdflib_endpoint", "--data", str(self.data), "--port", str(self.port)]


class FloorPeer(Peer):
    """granian with policykg's settings (processes, threads, HTTP/1) over ``app``: bench/floor_app.py."""
    name = "http-floor"
    app = "bench.floor_app:app"

    def command(self):
        threads = POLICYKG_SETTINGS["POLICYKG_THREADS"]
        return [str(VENV_BIN / "granian"), "--interface", "wsgi", "--host", "127.0.0.1", "--port", str(self.port),
                "--workers", POLICYKG_SETTINGS["POLICYKG_QUERY_WORKERS"], "--blocking-threads", threads,
                "--backpressure", threads,
                "--http", "1", "--log-level", "warning", self.app]


class VirtuosoPeer(Peer):
    """Virtuoso Open Source 7.2 (``virtuoso-t``, `make servers`) over a fresh database, the data
    loaded with its bulk loader (``ld_dir`` + ``rdf_loader_run``), its buffer pool sized for the
    data as virtuoso.ini advises (about 8 KB pages for 3/5 of what the data needs). Its default
    graph is the union of every graph, as the other peers are asked to serve it."""
    name = "virtuoso"

    def prepare(self):
        from bench.servers import VIRTUOSO_INI, _program
        self.program = _program("virtuoso-t", "apt-get install virtuoso-opensource (`make servers`)")
        self.folder = self.workdir / "virtuoso-db"
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True)
        self.sql_port = free_port()
        buffers = max(20000, int(self.data.stat().st_size * 1.5) // 8192)
        # The folder itself holds the link to the data, so it is all the bulk loader needs to read.
        ini = VIRTUOSO_INI.format(folder=self.folder, sql_port=self.sql_port, http_port=self.port,
                                  dirs=f"., {self.folder}", buffers=buffers, dirty=buffers * 3 // 4)
        ini = ini.replace("MaxClientConnections = 20", "MaxClientConnections = 64")
        (self.folder / "virtuoso.ini").write_text(ini, encoding="ascii")
        os.symlink(self.data, self.folder / ("data" + self.data.suffix))

    def command(self):
        return [self.program, "-f", "-c", str(self.folder / "virtuoso.ini")]

    def after_start(self):
        from bench.servers import VIRTUOSO_DBA_PASSWORD, _program
        isql = _program("isql-vt", "apt-get install virtuoso-opensource")
        script = (f"ld_dir('{self.folder}', 'data{self.data.suffix}', 'urn:policykg:bench:default'); "
                  "rdf_loader_run(); checkpoint;")
        proc = subprocess.run([isql, str(self.sql_port), "dba", VIRTUOSO_DBA_PASSWORD, f"exec={script}"],
                              capture_output=True, text=True, timeout=3600)
        if proc.returncode != 0 or "Error" in proc.stdout:
            raise RuntimeError(f"virtuoso: loading failed: {proc.stdout[-2000:]} {proc.stderr[-2000:]}")


PEERS = {"policykg": PolicykgPeer, "policykg-threads": PolicykgThreadsPeer, "policykg-cache": PolicykgCachePeer,
         "policykg-mem": PolicykgMemoryPeer, "policykg-keep": PolicykgKeepPeer, "oxigraph": OxigraphPeer, "oxigraph-mem": OxigraphMemoryPeer, "rdflib": RdflibPeer,
         "virtuoso": VirtuosoPeer}


# ---------------------------------------------------------------------------
# HTTP client (keep-alive, one connection per thread)
# ---------------------------------------------------------------------------

class Client:
    def __init__(self, peer: Peer, timeout: float):
        self.peer = peer
        self.timeout = timeout
        self.conn: http.client.HTTPConnection | None = None

    def get(self, query: str, accept: str) -> tuple[int, bytes]:
        # A path may carry parameters of its own (bench/remote.py: a server asked directly with a dataset).
        target = self.peer.path + ("&" if "?" in self.peer.path else "?") + urllib.parse.urlencode({"query": query})
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.peer.port, timeout=self.timeout)
            try:
                self.conn.request("GET", target, headers={"Accept": accept})
                quick_ack(self.conn.sock)   # as the remote store does: no 40 ms delayed ACKs
                response = self.conn.getresponse()
                body = response.read()
                if response.getheader("Connection", "").lower() == "close":
                    self.close()
                return response.status, body
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.close()
                if attempt:
                    raise
        raise RuntimeError("unreachable")

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def request(peer: Peer, query: str, accept: str, timeout: float = 120) -> tuple[int, bytes]:
    client = Client(peer, timeout)
    try:
        return client.get(query, accept)
    finally:
        client.close()
