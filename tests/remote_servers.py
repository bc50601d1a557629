"""Real SPARQL servers for the remote-store tests, started by the tests themselves (fixtures imported
by tests/conftest.py; the servers themselves are bench/servers.py, shared with bench/remote.py).

oxigraph_server   Oxigraph's server (``oxigraph serve``, from the PyPI package ``oxigraph`` of the test
                  extra) on a free loopback port, in a temporary folder, with ``built_dataset`` loaded once
                  by ``RemoteStore.load`` (what ``policykg load`` runs).
virtuoso_server   Virtuoso Open Source (``virtuoso-t`` from Debian's ``virtuoso-opensource``, which
                  ``make servers`` installs) with a generated virtuoso.ini, SPARQL_UPDATE granted to its
                  SPARQL user, ``built_dataset`` loaded once.
remote_url        ``remote_url(backend)``: the query endpoint of a remote backend, its server started on first use.

A server that is not installed FAILS the tests that need it (never a skip): CI runs ``make test``,
which installs both.
"""
from __future__ import annotations

import pytest

from bench.servers import BASE, ServerMissing, SparqlServer

BACKENDS = ("embedded", "oxigraph-server", "virtuoso")
REMOTE_BACKENDS = ("oxigraph-server", "virtuoso")


def _started(make, folder):
    try:
        return make(folder).start()
    except ServerMissing as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="session")
def oxigraph_server(built_dataset, tmp_path_factory):
    server = _started(SparqlServer.oxigraph, tmp_path_factory.mktemp("oxigraph"))
    try:
        server.load(built_dataset)
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def virtuoso_server(built_dataset, tmp_path_factory):
    server = _started(SparqlServer.virtuoso, tmp_path_factory.mktemp("virtuoso"))
    try:
        server.grant_updates()
        server.load(built_dataset)
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def remote_url(request):
    """``remote_url(backend)``: the query endpoint of a remote backend (its server started on first use)."""
    def url(backend: str) -> str:
        fixture = {"oxigraph-server": "oxigraph_server", "virtuoso": "virtuoso_server"}[backend]
        return request.getfixturevalue(fixture).url
    return url


__all__ = ["BACKENDS", "BASE", "REMOTE_BACKENDS", "SparqlServer"]
