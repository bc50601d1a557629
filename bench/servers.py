"""Real SPARQL servers on loopback, for the remote-store tests (tests/remote_servers.py) and the
remote benchmark (bench/remote.py): Oxigraph's server (``oxigraph serve``, PyPI package ``oxigraph``)
and Virtuoso Open Source (``virtuoso-t``, Debian package ``virtuoso-opensource``), each in a folder of
its own, on free ports, in the foreground, loaded with ``RemoteStore.load`` (what ``policykg load`` runs).

Virtuoso: a generated virtuoso.ini (:data:`VIRTUOSO_INI`); its anonymous SPARQL user is granted
SPARQL_UPDATE through ``isql-vt`` as the DBA of the new, throw-away database, so that loading (Graph
Store Protocol at /sparql-graph-crud) and updates (/sparql) work over the protocols. A real
deployment grants it to a user of its own instead and points the service at the ``-auth`` endpoints
with digest credentials (docs/operations.md).
"""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import requests

from policykg.settings import DEFAULT_BASE
from policykg.store.remote import RemoteStore

BASE = DEFAULT_BASE
START_SECONDS = 120
VIRTUOSO_DBA_PASSWORD = "dba"   # the default of a new database; loopback only, removed with the folder


def _free_port() -> int:
    import socket
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServerMissing(RuntimeError):
    """The server's program is not installed."""


def _program(name: str, hint: str) -> str:
    found = shutil.which(name) or shutil.which(name, path=str(Path(sys.executable).parent))
    if found is None:
        raise ServerMissing(f"{name} is not installed: {hint}")
    return found


class SparqlServer:
    """A SPARQL server process on loopback (``url``: its query endpoint)."""

    def __init__(self, command: list[str], url: str, folder: Path, log_name: str = "server.log"):
        self.command = command
        self.url = url
        self.folder = folder
        self.log_path = folder / log_name
        self.process: subprocess.Popen | None = None
        self.started_in = 0.0

    @classmethod
    def oxigraph(cls, folder: Path, port: int | None = None) -> "SparqlServer":
        port = port or _free_port()
        program = _program("oxigraph", "pip install oxigraph (the test extra of setup.cfg)")
        return cls([program, "serve", "--location", str(folder / "db"), "--bind", f"127.0.0.1:{port}"],
                   f"http://127.0.0.1:{port}/query", folder)

    @classmethod
    def virtuoso(cls, folder: Path, buffers: int = 20000, readable: tuple[Path, ...] = ()) -> "SparqlServer":
        """``buffers``: Virtuoso's page cache (8 KB pages; its guide: about 85 000 per GB of RAM
        given to it); ``readable``: folders its bulk loader may read (:meth:`bulk_load`)."""
        program = _program("virtuoso-t", "apt-get install virtuoso-opensource (`make servers` does, as root)")
        sql_port, http_port = _free_port(), _free_port()
        dirs = ", ".join([".", str(folder)] + [str(Path(d).resolve()) for d in readable])
        (folder / "virtuoso.ini").write_text(VIRTUOSO_INI.format(
            folder=folder, sql_port=sql_port, http_port=http_port, dirs=dirs, buffers=buffers,
            dirty=buffers * 3 // 4), encoding="ascii")
        server = cls([program, "-f", "-c", str(folder / "virtuoso.ini")], f"http://127.0.0.1:{http_port}/sparql",
                     folder)
        server.sql_port = sql_port
        return server

    def start(self) -> "SparqlServer":
        started = time.monotonic()
        self._log = open(self.log_path, "ab")
        self.process = subprocess.Popen(self.command, cwd=self.folder, stdout=self._log, stderr=subprocess.STDOUT)
        deadline = started + START_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.command[0]} exited with {self.process.returncode}:\n{self.log()[-3000:]}")
            try:
                if requests.get(self.url, params={"query": "ASK {}"}, timeout=2).status_code == 200:
                    self.started_in = time.monotonic() - started
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"{self.command[0]} did not answer within {START_SECONDS} s:\n{self.log()[-3000:]}")

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(30)
        if getattr(self, "_log", None) is not None:
            self._log.close()
            self._log = None

    def grant_updates(self) -> None:
        """Let Virtuoso's anonymous SPARQL user update (loopback test database only)."""
        isql = _program("isql-vt", "apt-get install virtuoso-opensource")
        proc = subprocess.run([isql, str(self.sql_port), "dba", VIRTUOSO_DBA_PASSWORD,
                               'exec=GRANT SPARQL_UPDATE TO "SPARQL";'],
                              capture_output=True, text=True, timeout=60)
        if proc.returncode != 0 or "Error" in proc.stdout:
            raise RuntimeError(f"isql-vt could not grant SPARQL_UPDATE: {proc.stdout} {proc.stderr}")

    def create_user(self, name: str, password: str) -> None:
        """A Virtuoso user allowed to query and update over /sparql-auth (digest authentication)."""
        isql = _program("isql-vt", "apt-get install virtuoso-opensource")
        proc = subprocess.run([isql, str(self.sql_port), "dba", VIRTUOSO_DBA_PASSWORD,
                               f"exec=DB.DBA.USER_CREATE('{name}', '{password}'); GRANT SPARQL_SELECT TO \"{name}\"; "
                               f"GRANT SPARQL_UPDATE TO \"{name}\";"],
                              capture_output=True, text=True, timeout=60)
        if proc.returncode != 0 or "Error" in proc.stdout:
            raise RuntimeError(f"isql-vt could not create the user {name}: {proc.stdout} {proc.stderr}")

    def load(self, data: Path) -> dict:
        return RemoteStore(self.url, BASE).load(data)

    def isql(self, statements: str, timeout: float) -> str:
        """Run SQL statements as the DBA of this throw-away database; the output, or RuntimeError."""
        isql = _program("isql-vt", "apt-get install virtuoso-opensource")
        proc = subprocess.run([isql, str(self.sql_port), "dba", VIRTUOSO_DBA_PASSWORD, f"exec={statements}"],
                              capture_output=True, text=True, timeout=timeout)
        if proc.returncode != 0 or "*** Error" in proc.stdout or "*** Error" in proc.stderr:
            raise RuntimeError(f"isql-vt: {statements[:200]}: {proc.stdout[-2000:]} {proc.stderr[-2000:]}")
        return proc.stdout

    def bulk_load_virtuoso(self, data: Path, timeout: float) -> None:
        """Virtuoso's bulk loader (ld_dir, rdf_loader_run, checkpoint) on an N-Quads file: for the
        province-size benchmark graph, which the Graph Store Protocol would take far longer to send.
        The file's folder must be among ``readable`` (:meth:`virtuoso`)."""
        data = Path(data).resolve()
        self.isql(f"ld_dir('{data.parent}', '{data.name}', 'urn:policykg:unused'); rdf_loader_run(); checkpoint;",
                  timeout)
        failed = self.isql("SELECT COUNT(*) FROM DB.DBA.LOAD_LIST WHERE ll_error IS NOT NULL;", 60)
        if not re.search(r"^\s*0\s*$", failed, re.M):
            raise RuntimeError(f"Virtuoso's bulk loader failed on {data}: "
                               f"{self.isql('SELECT ll_file, ll_error FROM DB.DBA.LOAD_LIST;', 60)[-2000:]}")


def oxigraph_bulk_load(folder: Path, data: Path, timeout: float) -> None:
    """Oxigraph's offline bulk loader (``oxigraph load``) into ``folder``/db, before the server starts
    on it (:meth:`SparqlServer.oxigraph` with the same folder)."""
    program = _program("oxigraph", "pip install oxigraph (the test extra of setup.cfg)")
    proc = subprocess.run([program, "load", "--lenient", "--location", str(folder / "db"), "--file", str(data)],
                          capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"oxigraph load {data} failed: {proc.stderr[-2000:]}")


# Virtuoso's ini for a throw-away test database: loopback ports, everything in one folder, no row
# limit on answers (ResultSetMaxRows: the dumps read whole graphs), no server-side time limit (ours
# is passed per query), a small buffer pool.
VIRTUOSO_INI = """\
[Database]
DatabaseFile = {folder}/virtuoso.db
ErrorLogFile = {folder}/virtuoso.log
LockFile = {folder}/virtuoso.lck
TransactionFile = {folder}/virtuoso.trx
xa_persistent_file = {folder}/virtuoso.pxa
ErrorLogLevel = 7
FileExtend = 200
Striping = 0
TempStorage = TempDatabase
[TempDatabase]
DatabaseFile = {folder}/virtuoso-temp.db
TransactionFile = {folder}/virtuoso-temp.trx
Striping = 0
[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
MaxClientConnections = 20
CheckpointInterval = 60
CaseMode = 2
DirsAllowed = {dirs}
NumberOfBuffers = {buffers}
MaxDirtyBuffers = {dirty}
ThreadsPerQuery = 2
[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {folder}
MaxClientConnections = 20
ServerThreads = 20
Charset = UTF-8
EnabledGzipContent = 0
[Client]
SQL_PREFETCH_ROWS = 100
SQL_PREFETCH_BYTES = 16000
SQL_QUERY_TIMEOUT = 0
SQL_TXN_TIMEOUT = 0
[SPARQL]
ResultSetMaxRows = 10000000
MaxQueryExecutionTime = 0
MaxQueryCostEstimationTime = 0
"""
