"""HTTP features every response of the application gets: CORS, security headers and gzip.

* CORS: every response allows any origin, without credentials; preflight requests
  (OPTIONS) are answered for GET/POST with the headers SPARQL clients send.
* Security headers: no content sniffing, no framing by other sites, no referrer sent to other
  sites; pages (HTML) also get a Content-Security-Policy that allows only the service's own
  scripts, styles, images and connections (the pages load nothing from outside), and
  ``Vary: Cookie`` since the language cookie chooses their words.
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


# Every response carries these; SPARQL answers and API JSON as much as pages.
SECURITY_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "SAMEORIGIN"),
    ("Referrer-Policy", "same-origin"),
)
# Pages only: their scripts are files of the service (no inline script); YASGUI sets styles inline.
PAGE_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
               "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'self'")


def add_vary(headers, name: str) -> None:
    """Add ``name`` to the Vary header unless it is there already."""
    vary = headers.get("Vary", "")
    if name.lower() not in [v.strip().lower() for v in vary.split(",")]:
        headers["Vary"] = f"{vary}, {name}" if vary else name


def compressible(media_type: str) -> bool:
    return media_type.startswith(_COMPRESSIBLE)


def gzip_if_asked(body: bytes, media_type: str, accept_encoding: str | None) -> bytes | None:
    """``body`` gzipped when the client accepts gzip and compressing is worth it, else None."""
    if len(body) < MIN_GZIP_SIZE or not compressible(media_type) or not accepts_gzip(accept_encoding):
        return None
    return gzip.compress(body, compresslevel=5, mtime=0)


def _after_request(response):
    headers = response.headers
    for name, value in CORS_HEADERS + SECURITY_HEADERS:
        headers.setdefault(name, value)
    if (response.mimetype or "") == "text/html":
        headers.setdefault("Content-Security-Policy", PAGE_POLICY)
        add_vary(headers, "Cookie")
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
    add_vary(headers, "Accept-Encoding")
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
