"""The remote store's keep-alive connections (store/remote.py, _send_pooled): one connection per
thread and server, reused request after request; a connection the server closed (a restart) is
replaced without the caller seeing a failure; credentials go with every request on it; a request
stopped at our time limit never leaves its unread answer to be read as the next one's."""
from __future__ import annotations

import base64
import contextlib
import socket
import threading
import time

import pytest

from bench.servers import SparqlServer
from remote_servers import BASE
from policykg.store import remote
from policykg.store.errors import QueryRefused
from policykg.store.remote import RemoteStore
from stand_in_server import StandInServer

pytestmark = pytest.mark.slow

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _local_port(url: str):
    """The local port of this thread's open connection to ``url``'s server (None: none open)."""
    parts = remote.urllib.parse.urlsplit(url)
    connection = remote._CONNECTIONS.open.get((parts.scheme, parts.netloc))
    return connection.sock.getsockname()[1] if connection is not None and connection.sock else None


def test_one_connection_serves_many_queries_and_survives_a_server_restart(tmp_path):
    port = _free_port()
    server = SparqlServer.oxigraph(tmp_path, port).start()
    try:
        store = RemoteStore(server.url, BASE, timeout=5)
        store._update("INSERT DATA { GRAPH <https://w3id.org/policykg/graph/t> { <urn:a> <urn:b> <urn:c> } }", 10)
        assert int(store.select(COUNT)[0]["n"].value) == 1
        first = _local_port(server.url)
        assert first is not None
        for _ in range(20):
            assert int(store.select(COUNT)[0]["n"].value) == 1
        assert _local_port(server.url) == first          # the same TCP connection all along
        server.stop()
        server = SparqlServer.oxigraph(tmp_path, port).start()   # same port, same data; our connection is dead
        assert int(store.select(COUNT)[0]["n"].value) == 1   # answered, not store_unavailable
        assert _local_port(server.url) not in (None, first)
    finally:
        server.stop()


def test_credentials_go_with_every_request_on_a_kept_connection(monkeypatch):
    monkeypatch.setenv("POLICYKG_STORE_USER", "reader")
    monkeypatch.setenv("POLICYKG_STORE_PASSWORD", "s3cret")
    monkeypatch.delenv("POLICYKG_STORE_AUTH", raising=False)
    stand_in = StandInServer(credentials=("reader", "s3cret"))
    try:
        store = RemoteStore(stand_in.url, BASE, timeout=5)
        store._kind = "sparql"
        for _ in range(10):
            assert store.select(COUNT)[0]["n"].value == "7"
        expected = "Basic " + base64.b64encode(b"reader:s3cret").decode()
        ports = {r["port"] for r in stand_in.requests}
        assert len(stand_in.requests) >= 10
        assert all(r["headers"].get("Authorization") == expected for r in stand_in.requests)
        assert len(ports) == 1                                  # all of them on one connection
    finally:
        stand_in.stop()


class _HalfAnswer:
    """A loopback server whose first answer stops half-way (headers and part of the body, then
    silence); every later request, on any connection, gets a whole answer. Counts connections."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.answers = 0
        self.stop = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        self.sock.settimeout(0.2)
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            threading.Thread(target=self._talk, args=(conn,), daemon=True).start()

    def _talk(self, conn):
        whole = (b'{"head":{"vars":["x"]},"results":{"bindings":[{"x":{"type":"literal","value":"whole"}}]}}')
        conn.settimeout(10)
        with conn, contextlib.suppress(OSError):   # a kept connection left idle ends at its timeout
            for _ in range(50):     # bounded: requests on this connection
                data = b""
                while b"\r\n\r\n" not in data:
                    piece = conn.recv(65536)
                    if not piece:
                        return
                    data += piece
                head, _, rest = data.partition(b"\r\n\r\n")
                length = int(next((line.split(b":")[1] for line in head.split(b"\r\n")
                                   if line.lower().startswith(b"content-length")), b"0"))
                while len(rest) < length:
                    rest += conn.recv(65536)
                self.answers += 1
                headers = (b"HTTP/1.1 200 OK\r\nContent-Type: application/sparql-results+json\r\n"
                           b"Content-Length: %d\r\n\r\n" % len(whole))
                if self.answers == 1:
                    conn.sendall(headers + whole[:20])   # and then nothing: our time limit must end it
                    self.stop.wait(5)
                    return
                conn.sendall(headers + whole)


def test_an_answer_cut_by_our_time_limit_is_not_read_as_the_next_one():
    half = _HalfAnswer()
    try:
        store = RemoteStore(f"http://127.0.0.1:{half.port}/sparql", BASE, timeout=1.0)
        store._kind = "sparql"
        started = time.monotonic()
        with pytest.raises(QueryRefused) as refused:
            store._send("SELECT ?x WHERE {}", accept=remote._JSON, form="SELECT", timeout=1.0, dataset=None)
        assert refused.value.reason == "timeout"
        assert time.monotonic() - started < 4
        reply = store._send("SELECT ?x WHERE {}", accept=remote._JSON, form="SELECT", timeout=2.0, dataset=None)
        assert store._parsed(reply)[0]["x"].value == "whole"
        assert half.connections == 2      # the cut connection was closed, a new one opened
    finally:
        half.stop.set()
        half.sock.close()


def test_a_forked_child_never_uses_its_parents_connection(tmp_path):
    """`policykg serve` forks its server processes after the start-up check: a connection kept by
    the parent must not be written to by a child too (each would read the other's answers)."""
    import os
    server = SparqlServer.oxigraph(tmp_path).start()
    try:
        store = RemoteStore(server.url, BASE, timeout=5)
        store.select(COUNT)
        parents = _local_port(server.url)
        assert parents is not None
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:     # the child: report what it inherited and which connection it then used
            try:
                inherited = _local_port(server.url)
                store.select(COUNT)
                os.write(write, f"{inherited} {_local_port(server.url)}".encode())
            finally:
                os._exit(0)
        os.close(write)
        deadline = time.monotonic() + 30
        while os.waitpid(pid, os.WNOHANG) == (0, 0) and time.monotonic() < deadline:
            time.sleep(0.05)
        inherited, used = os.read(read, 100).decode().split()
        os.close(read)
        assert inherited == "None" and int(used) != parents
        assert _local_port(server.url) == parents        # the parent keeps its own
    finally:
        server.stop()
