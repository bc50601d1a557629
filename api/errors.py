"""Error responses: a short message, never a stack trace.

Errors are JSON when the client prefers JSON or the path is under /api/, in one envelope
(``{"ok": false, "error": {"code": "not_found", "status": 404, "title": "Not Found",
"message": "...", "message_zh": "...", "parameter": ..., "candidates": [...]}}``, the last two when
a request parameter is at fault; ``message_zh`` is the Chinese wording of the kind of error, from the
one table of words, :mod:`policykg.api.words`), otherwise plain text (what SPARQL clients print). The REST API
registers its own handlers for its parameter errors, with this same envelope; these are
the fallback, installed by :func:`policykg.api.create_app`.
"""
from __future__ import annotations

import json
import logging

from flask import Response, request
from werkzeug.exceptions import HTTPException

from policykg.api.negotiation import negotiate
from policykg.api.words import error_zh
from policykg.store.errors import QueryRefused

log = logging.getLogger("policykg.api")

TITLES = {
    400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
    405: "Method Not Allowed", 406: "Not Acceptable", 408: "Request Timeout", 409: "Conflict", 413: "Payload Too Large",
    414: "URI Too Long", 415: "Unsupported Media Type", 422: "Unprocessable Content", 500: "Internal Server Error",
    503: "Service Unavailable", 504: "Gateway Timeout",
}


def wants_json(path: str, accept: str | None) -> bool:
    """Errors under /api/, or for a client that prefers JSON, are JSON; others plain text."""
    if path.startswith("/api/"):
        return True
    chosen = negotiate(accept, ["text/plain", "application/json", "application/sparql-results+json"],
                       default="text/plain")
    return chosen in ("application/json", "application/sparql-results+json")


CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
    406: "not_acceptable", 408: "timeout", 413: "too_large", 414: "uri_too_long", 415: "unsupported_media_type",
    422: "unprocessable",
    500: "internal_error", 503: "unavailable", 504: "timeout",
}


# The one table from the store's refusal reasons (policykg.store.errors.REASONS) to HTTP:
# (status, envelope code when it says more than the status's own).
REFUSALS = {
    # A well-formed query beyond a limit of the service is not a bad request: each limit has its own
    # code and a status that says so (docs/sparql.md, the table of limits).
    "too_long": (413, "query_too_long"),
    "too_deep": (422, "query_too_complex"),
    "too_complex": (422, "query_too_complex"),
    "too_many_results": (422, "result_too_large"),
    "too_large": (422, "result_too_large"),
    "timeout": (503, "timeout"),
    "not_a_query": (400, None),
    "service": (400, None),
    "load": (400, None),
    "syntax": (400, None),
    "dataset_conflict": (400, "dataset_conflict"),
    "no_format": (406, None),
    "failed": (400, None),
    "not_evaluable": (422, "evaluation_error"),
    "engine_error": (500, "engine_error"),
    "unavailable": (503, "unavailable"),
    "store_unavailable": (503, "store_unavailable"),
    "resource_limit": (503, "resource_limit"),
    "busy": (503, "busy"),
    "internal": (500, None),
}


class HttpError(Exception):
    """An error answered with ``status``: raised by the web layer itself (the SPARQL
    protocol's own checks) or made from a store's refusal by :func:`http_error`."""

    def __init__(self, status: int, message: str, code: str | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code

    @property
    def headers(self) -> dict[str, str]:
        """Response headers it calls for: a 503 (over the time limit) says when to try again."""
        return {"Retry-After": "1"} if self.status == 503 else {}


def http_error(exc: HttpError | QueryRefused) -> HttpError:
    """The HTTP error for a store's refusal (an HttpError is returned as it is)."""
    if isinstance(exc, HttpError):
        return exc
    status, code = REFUSALS[exc.reason]
    return HttpError(status, exc.message, code)


def error_envelope(status: int, message: str, code: str | None = None, parameter: str | None = None,
                   candidates: list | None = None) -> dict:
    """The JSON body of every error the service answers."""
    error = {"code": code or CODES.get(status, "error"), "status": status, "title": TITLES.get(status, "Error"),
             "message": message, "message_zh": error_zh(code, status)}
    if parameter is not None:
        error["message_zh"] += f"(参数 {parameter})"
    if parameter is not None:
        error["parameter"] = parameter
    if candidates:
        error["candidates"] = candidates
    return {"ok": False, "error": error}


def error_body(status: int, message: str, path: str, accept: str | None, code: str | None = None,
               parameter: str | None = None, candidates: list | None = None) -> tuple[str, bytes]:
    """(Content-Type, body) of an error, without Flask (the /sparql endpoint uses it directly)."""
    if wants_json(path, accept):
        envelope = error_envelope(status, message, code, parameter, candidates)
        return "application/json", (json.dumps(envelope, ensure_ascii=False) + "\n").encode()
    return "text/plain; charset=utf-8", f"{status} {TITLES.get(status, 'Error')}: {message}\n".encode()


def error_response(status: int, message: str, headers: dict | None = None, code: str | None = None,
                   parameter: str | None = None, candidates: list | None = None) -> Response:
    """The error answer to the current request (JSON or plain text, see :func:`wants_json`)."""
    content_type, body = error_body(status, message, request.path, request.headers.get("Accept"), code,
                                    parameter, candidates)
    response = Response(body, status=status, content_type=content_type)
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def _http_error(exc: HTTPException):
    headers = {}
    if exc.code == 405 and getattr(exc, "valid_methods", None):
        headers["Allow"] = ", ".join(exc.valid_methods)
    message = exc.description or TITLES.get(exc.code, "error")
    return error_response(exc.code or 500, message, headers)


def _unexpected(exc: Exception):
    if isinstance(exc, HTTPException):
        return _http_error(exc)
    log.exception("unhandled error on %s %s", request.method, request.path)
    return error_response(500, "the server could not answer this request; the error was logged")


def _refused(exc: QueryRefused):
    """A store's refusal met outside /sparql (a page or a named question over a remote store
    whose server is gone): the same status and code as /sparql gives it."""
    error = http_error(exc)
    return error_response(error.status, error.message, error.headers, error.code)


def register_error_handlers(app) -> None:
    """Install the fallback handlers on ``app``."""
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(QueryRefused, _refused)
    app.register_error_handler(Exception, _unexpected)
