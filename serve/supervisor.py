"""HTTP plumbing shared by every route: CORS, gzip, request logging, the WSGI server.

* CORS: every response allows any origin, without credentials; preflight requests
  (OPTIONS) are answered for GET/POST with the headers SPARQL clients send.
* gzip: responses over 1 KB of a textual type are compressed when the client asks.
* logging: one line per request on stderr: method, path, status, milliseconds.
* :func:`serve`: granian (a production HTTP server with a Rust core) running several
  server processes of the WSGI application, supervised (see :func:`serve`).
"""
from __future__ import annotations

import gzip
import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path

from flask import request

_server_log = logging.getLogger("policykg.server")

_COMPRESSIBLE = ("text/", "application/json", "application/ld+json", "application/sparql-results",
                 "application/n-triples", "application/n-quads", "application/trig", "application/rdf+xml",
                 "application/xml", "application/javascript", "image/svg+xml")
MIN_GZIP_SIZE = 1024


def _accepts_gzip(header: str | None) -> bool:
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
    if len(body) < MIN_GZIP_SIZE or not compressible(media_type) or not _accepts_gzip(accept_encoding):
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
    """Add CORS and gzip to ``app`` once."""
    if app.extensions.get("policykg.http"):
        return
    app.extensions["policykg.http"] = True
    app.after_request(_after_request)
    # No request body this service accepts is large (queries are capped far lower);
    # refuse huge bodies with 413 before reading them into memory.
    if not app.config.get("MAX_CONTENT_LENGTH"):
        app.config["MAX_CONTENT_LENGTH"] = 16 << 20


class AccessLog:
    """WSGI middleware: one line per request on stderr (method, path, status, ms)."""

    def __init__(self, app, stream=None):
        self.app = app
        self.stream = stream or sys.stderr

    def __call__(self, environ, start_response):
        started = time.perf_counter()
        status_holder = ["-"]

        def _start(status, headers, exc_info=None):
            status_holder[0] = status.split(" ", 1)[0]
            return start_response(status, headers, exc_info)

        try:
            result = self.app(environ, _start)
        except Exception:
            self._write(environ, "500", started)
            raise
        if isinstance(result, list):
            # The whole answer is in hand: log now and give the server the list itself
            # (granian sends a list in one go, but iterates any other body from Python).
            self._write(environ, status_holder[0], started)
            return result
        return _Logged(result, lambda: self._write(environ, status_holder[0], started))

    def _write(self, environ, status, started):
        ms = (time.perf_counter() - started) * 1000
        path = environ.get("PATH_INFO", "")
        try:
            self.stream.write(f"{environ.get('REQUEST_METHOD', '-')} {path} {status} {ms:.1f}ms\n")
            self.stream.flush()
        except (OSError, ValueError):
            pass


class _Logged:
    """Wraps a WSGI body so the log line is written when the body is done."""

    def __init__(self, body, on_close):
        self._body = body
        self._on_close = on_close

    def __iter__(self):
        return iter(self._body)

    def close(self):
        try:
            close = getattr(self._body, "close", None)
            if close:
                close()
        finally:
            self._on_close()


# ---------------------------------------------------------------------------
# Server processes and their supervisor
# ---------------------------------------------------------------------------

WSGI_TARGET = "policykg.api.wsgi:app"
REPLACEMENT_GRACE = 60.0   # seconds past the time limit before a process ends itself
_replacement_asked = threading.Event()


class _IntendedThreads(logging.Filter):
    """Drop granian's warning that request threads outnumber 2 × CPUs + 1: ours spend their
    time waiting for the query threads, so that many is intended (a user need not worry)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "which seems quite high compared to the number of CPU cores" not in record.getMessage()


# granian's own logging setup, with that filter on its console handler (access log off: ours is AccessLog).
_GRANIAN_LOGGING = {
    "filters": {"intended_threads": {"()": _IntendedThreads}},
    "handlers": {
        "console": {"formatter": "generic", "class": "logging.StreamHandler", "stream": "ext://sys.stderr",
                    "filters": ["intended_threads"]},
        "access": {"formatter": "access", "class": "logging.StreamHandler", "stream": "ext://sys.stderr"},
    },
}


def serve(config, source) -> None:
    """Serve with granian until interrupted: ``config.query_workers`` server processes.

    This process is the supervisor. It shares the configuration and the runtime folder
    with the server processes through the environment, publishes the data ``source`` in
    the runtime folder, and lets granian start the processes, replace one that dies, and
    on SIGHUP (sent by a process whose query ran over the time limit) replace them one by
    one: a fresh process first, then the old one is stopped after answering what it holds.
    """
    import shutil
    import tempfile

    from granian import Granian
    from granian.constants import HTTPModes, Interfaces

    from policykg.store import runtime

    folder = Path(tempfile.mkdtemp(prefix="policykg-run-"))
    try:
        runtime.publish(folder, source)
        for setting, value in config.values.items():
            os.environ[f"POLICYKG_{setting.upper()}"] = str(value)
        os.environ[runtime.RUNTIME_ENV] = str(folder)
        os.environ[runtime.SUPERVISOR_ENV] = str(os.getpid())
        server = Granian(
            WSGI_TARGET, address=config.host, port=config.port, interface=Interfaces.WSGI,
            workers=max(1, int(config.query_workers)), blocking_threads=max(1, int(config.threads)),
            http=HTTPModes.http1, respawn_failed_workers=True, respawn_interval=1.0,
            backpressure=max(1, int(config.threads)), workers_kill_timeout=30, log_level="warning",
            log_dictconfig=_GRANIAN_LOGGING,
        )
        guard_signal_handlers(server)
        server.serve()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def guard_signal_handlers(server) -> None:
    """Make the supervisor's signal handlers safe against a signal that arrives inside one.

    granian's handlers set a flag and a ``threading.Event``. Python runs signal handlers on
    the main thread, a later one inside an earlier one, so a signal that lands while a
    handler holds the Event's lock makes the inner handler wait for that lock forever: the
    supervisor hangs, no longer replaces processes nor stops (seen here: a SIGTERM from
    ``pkill`` and the same SIGTERM forwarded by ``timeout`` a moment apart; two server
    processes over the time limit send two SIGHUPs the same way). A nested call therefore
    only records its signal; the outer call is waking the main loop, which reads the flags
    once the handlers have returned."""
    busy = [False]

    def guarded(handler, flag: str):
        def run(*args, **kwargs):
            if busy[0]:
                setattr(server, flag, True)
                return
            busy[0] = True
            try:
                handler(*args, **kwargs)
            finally:
                busy[0] = False
        return run

    server.signal_handler_interrupt = guarded(server.signal_handler_interrupt, "interrupt_signal")
    server.signal_handler_reload = guarded(server.signal_handler_reload, "reload_signal")


def request_replacement() -> None:
    """Ask the supervisor to replace this process: a query over the time limit still runs here."""
    from policykg.store import runtime

    if _replacement_asked.is_set():
        return
    _replacement_asked.set()
    pid = runtime.supervisor_pid()
    if pid is None or os.getppid() != pid:
        _server_log.warning("a query over the time limit keeps running: no supervisor can replace this process")
        return
    _server_log.warning(
        "a query ran over the time limit: asking the supervisor to replace server process %d", os.getpid())
    os.kill(pid, signal.SIGHUP)


def watch_process(state, pinning=None) -> None:
    """In a server process: end it if the supervisor is gone, or if a runaway query was
    not stopped by a replacement well past the time limit (defence in depth); keep its
    CPU share even when processes are replaced (``pinning``, see :mod:`policykg.api.affinity`)."""
    from policykg.store import runtime

    supervisor = runtime.supervisor_pid()
    limit = float(state.config.query_timeout) + REPLACEMENT_GRACE

    def watch():
        while True:
            time.sleep(1.0)
            if supervisor is not None and os.getppid() != supervisor:
                os._exit(0)
            evaluator = state._evaluator
            if evaluator is not None and evaluator.longest_running() > limit:
                os._exit(70)
            if pinning is not None:
                try:
                    pinning.balance()
                except OSError as exc:   # never let balancing end the watch
                    _server_log.warning("could not balance CPUs: %s", exc)

    threading.Thread(target=watch, name="policykg-watch", daemon=True).start()
