"""The HTTP floor of the benchmark: a WSGI application that answers every request with the
same SPARQL result (``ASK`` true) and does no other work. Served by granian with the settings
``policykg serve`` uses, it measures what the HTTP server and the WSGI call alone cost, the
part of every policykg answer that no work on queries can remove."""
from __future__ import annotations

_BODY = b'{"head":{},"boolean":true}'
_HEADERS = [("Content-Type", "application/sparql-results+json"), ("Content-Length", str(len(_BODY)))]


def app(environ, start_response):
    start_response("200 OK", _HEADERS)
    return [_BODY]
