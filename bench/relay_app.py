"""The relay floor of bench/remote.py: a WSGI application that passes each /sparql request's query
string on to a SPARQL server (``RELAY_TARGET``: its URL with the dataset the service would send) and
the server's answer back, over one keep-alive connection per thread (acknowledged at once, as the
service's own: policykg.store.remote.quick_ack), checking and changing nothing.
Served by granian with the settings ``policykg serve`` uses, it measures what a second HTTP hop
through Python costs in front of a server, the part of what the service adds over a remote store
that no work on queries or answers can remove."""
from __future__ import annotations

import http.client
import os
import threading
import urllib.parse

from policykg.store.remote import quick_ack

_TARGET = urllib.parse.urlsplit(os.environ.get("RELAY_TARGET", "http://127.0.0.1:8890/sparql"))
_local = threading.local()


def app(environ, start_response):
    separator = "&" if _TARGET.query else ""
    target = f"{_TARGET.path}?{_TARGET.query}{separator}{environ.get('QUERY_STRING', '')}"
    for attempt in range(2):
        connection = getattr(_local, "connection", None)
        kept = connection is not None
        if not kept:
            connection = _local.connection = http.client.HTTPConnection(_TARGET.hostname, _TARGET.port)
        try:
            connection.request("GET", target, headers={"Accept": environ.get("HTTP_ACCEPT", "*/*")})
            quick_ack(connection.sock)   # as the service does: no 40 ms delayed ACK under a server's Nagle
            response = connection.getresponse()
            quick_ack(connection.sock)
            body = response.read()
            break
        except (http.client.HTTPException, OSError):
            # A kept connection the server closed while idle: once more on a new one, as the service does
            connection.close()
            _local.connection = None
            if not kept:
                raise
    start_response(f"{response.status} {response.reason}",
                   [("Content-Type", response.getheader("Content-Type", "application/octet-stream")),
                    ("Content-Length", str(len(body)))])
    return [body]
