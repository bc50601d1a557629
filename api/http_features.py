"""HTTP features every response of the application gets: CORS and gzip.

* CORS: every response allows any origin, without credentials; preflight requests
  (OPTIONS) are answered for GET/POST with the headers SPARQL clients send.
* gzip: responses over 1 KB of a textual type are compressed when the client asks.

:func:`policykg.api.create_app` installs them; the /sparql middleware uses the same
functions for the answers it gives itself.
"""
from __future__ import annotations

import gzip

from flask import request

_COMPRESSIBLE = ("text/", "application/json", "application/ld+json", "application/sparql-results",
                 "application/n-triples", "application/n-quads", "application/trig", "application/rdf+xml",
                 "application/xml", "application/javascript", "image/svg+xml")
MIN_GZIP_SIZE = 1024


def accepts_gzip(header: str | None) -> bool:
    if not header:
        return False
    for part in header.split(","):
        pieces = [p.strip() for p in part.split(";")]
        if pieces[0].lower() in ("gzip", "*"):
            for param in pieces[1:]:
                key, _, value = param.partition("=")
                if key.strip().lower() == "q":
                    try:
                        return float(value) > 0
                    except ValueError:
                        return False
            return True
    return False


# Every response carries these (CORS for browser clients, without credentials).
CORS_HEADERS = (
    ("Access-Control-Allow-Origin", "*"),
    ("Access-Control-Expose-Headers", "Content-Type, Content-Length, Content-Encoding"),
)


def compressible(media_type: str) -> bool:
    return media_type.startswith(_COMPRESSIBLE)


def gzip_if_asked(body: bytes, media_type: str, accept_encoding: str | None) -> bytes | None:
    """``body`` gzipped when the client accepts gzip and compressing is worth it, else None."""
    if len(body) < MIN_GZIP_SIZE or not compressible(media_type) or not accepts_gzip(accept_encoding):
        return None
    return gzip.compress(body, compresslevel=5, mtime=0)


def _after_request(response):
    headers = response.headers
    for name, value in CORS_HEADERS:
        headers.setdefault(name, value)
    if request.method == "OPTIONS":
        headers.setdefault("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
        headers.setdefault("Access-Control-Allow-Headers",
                           request.headers.get("Access-Control-Request-Headers")
                           or "Accept, Content-Type, Authorization")
        headers.setdefault("Access-Control-Max-Age", "86400")
    if (response.status_code < 200 or response.status_code in (204, 304) or response.direct_passthrough
            or response.is_streamed or "Content-Encoding" in headers):
        return response
    mimetype = response.mimetype or ""
    if not compressible(mimetype):
        return response
    vary = headers.get("Vary", "")
    if "accept-encoding" not in vary.lower():
        headers["Vary"] = f"{vary}, Accept-Encoding" if vary else "Accept-Encoding"
    compressed = gzip_if_asked(response.get_data(), mimetype, request.headers.get("Accept-Encoding"))
    if compressed is not None:
        response.set_data(compressed)
        headers["Content-Encoding"] = "gzip"
    return response


def install_http_features(app) -> None:
    """Add CORS and gzip to every response of ``app``."""
    app.after_request(_after_request)
    # No request body this service accepts is large (queries are capped far lower);
    # refuse huge bodies with 413 before reading them into memory.
    if not app.config.get("MAX_CONTENT_LENGTH"):
        app.config["MAX_CONTENT_LENGTH"] = 16 << 20
