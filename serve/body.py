"""A deadline on request bodies: clients that send their headers and then the body slowly
(or never) get a clear error, and cannot take every request thread.

granian calls the WSGI application as soon as a request's headers are in, and its
``wsgi.input`` blocks the calling thread until the bytes asked for arrive, with no time-out
(granian's HTTP/1 settings bound only the headers: ``header_read_timeout``). Worse, an
application that returns while another thread is still blocked reading its body stops the
whole server process (granian then waits for that body with the interpreter lock held) until
the client sends the rest or goes. So here:

* the body is read on a reader thread of its own while the request thread waits, at most
  ``body_timeout`` seconds; a body still incomplete then is answered 408 ``body_timeout``
  (``Connection: close``) at once, and the request thread stays with that connection, without
  returning, until the client sends the rest or closes it (a client closes on such an answer);
* at most half the request threads of a server process read bodies at once: a request with a
  body beyond them is answered 503 ``busy`` (Retry-After) without reading it, so that slow
  senders, however many, leave threads for every other request.

The body read is handed to the application as ``wsgi.input`` (kept in memory up to
:data:`IN_MEMORY`, on disk beyond). A body larger than the application accepts is not read:
its Content-Length already earns it a 413 there.
"""
from __future__ import annotations

import logging
import tempfile
import threading

from policykg.api.errors import error_body
from policykg.serve.closing import AfterClose

log = logging.getLogger("policykg.server")

CHUNK = 64 * 1024
IN_MEMORY = 1 << 20       # bytes of a body kept in memory before the rest goes to a temporary file


class _Reader:
    """Reads one request body on its own thread; ``done`` is set once all of it is in (or the
    client ended it early)."""

    def __init__(self, stream, limit: int):
        self.stream = stream
        self.limit = limit
        self.buffer = tempfile.SpooledTemporaryFile(max_size=IN_MEMORY)
        self.size = 0
        self.done = threading.Event()
        threading.Thread(target=self._run, name="policykg-body", daemon=True).start()

    def _run(self) -> None:
        try:
            while self.size < self.limit:
                chunk = self.stream.read(min(CHUNK, self.limit - self.size))
                if not chunk:
                    break                  # the client ended the body (or the connection) early
                self.buffer.write(chunk)
                self.size += len(chunk)
        except Exception as exc:        # a broken connection: the application sees what came
            log.debug("reading a request body failed: %s", exc)
        finally:
            self.done.set()


class BodyDeadline:
    """WSGI middleware: each request body read within ``timeout`` seconds (see the module)."""

    def __init__(self, app, timeout: float, threads: int, max_body: int | None):
        self.app = app
        self.timeout = float(timeout)
        self.max_reading = max(1, int(threads) // 2)
        self.max_body = max_body
        self.reading = 0
        self._lock = threading.Lock()

    def _limit(self, environ) -> int | None:
        """Bytes to read for this request; None when there is no body to wait for."""
        length = environ.get("CONTENT_LENGTH", "").strip()
        if length:
            try:
                size = int(length)
            except ValueError:
                return None            # the application answers a malformed length
            if size <= 0 or (self.max_body is not None and size > self.max_body):
                return None            # nothing to read, or a 413 there without reading
            return size
        if "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
            # One byte over the limit is enough for the application to refuse it (413).
            return self.max_body + 1 if self.max_body is not None else 1 << 62
        return None

    def __call__(self, environ, start_response):
        limit = self._limit(environ)
        if limit is None or self.timeout <= 0:
            return self.app(environ, start_response)
        with self._lock:
            if self.reading >= self.max_reading:
                busy = self.reading
            else:
                busy = None
                self.reading += 1
        if busy is not None:
            return self._refuse(environ, start_response, 503, "busy",
                                f"{busy} requests of this server process already wait for their bodies; "
                                "retry, sending the body with the request")
        try:
            reader = _Reader(environ["wsgi.input"], limit)
            arrived = reader.done.wait(self.timeout)
        except BaseException:
            with self._lock:
                self.reading -= 1
            raise
        if not arrived:
            return self._timed_out(environ, start_response, reader)
        with self._lock:
            self.reading -= 1
        return self._call(environ, start_response, reader)

    def _call(self, environ, start_response, reader: _Reader):
        reader.buffer.seek(0)
        environ["wsgi.input"] = reader.buffer
        environ["CONTENT_LENGTH"] = str(reader.size)
        try:
            result = self.app(environ, start_response)
        except BaseException:
            reader.buffer.close()
            raise
        if isinstance(result, list):   # answered whole: granian sends a list as one body
            reader.buffer.close()
            return result
        return AfterClose(result, reader.buffer.close)   # the buffered body goes with the answer

    def _timed_out(self, environ, start_response, reader: _Reader):
        """408 at once; the request thread returns only once the reader has ended (see the module)."""
        message = f"the request body did not arrive within {self.timeout:g} s; send it with the request"
        chunks = self._refuse(environ, start_response, 408, "body_timeout", message)

        def after_the_client():
            try:
                yield from chunks
                # Bounded by the client: the reader ends when it sends the rest or closes.
                reader.done.wait()
            finally:
                reader.buffer.close()
                with self._lock:
                    self.reading -= 1
        return after_the_client()

    def _refuse(self, environ, start_response, status: int, code: str, message: str) -> list:
        content_type, body = error_body(status, message, environ.get("PATH_INFO", ""),
                                        environ.get("HTTP_ACCEPT"), code)
        headers = [("Content-Type", content_type), ("Content-Length", str(len(body))), ("Connection", "close")]
        if status == 503:
            headers.append(("Retry-After", "1"))
        reason = "Request Timeout" if status == 408 else "Service Unavailable"
        start_response(f"{status} {reason}", headers)
        return [body]
