"""The access log of a server process: one line per request on stderr (method, path,
status, milliseconds)."""
from __future__ import annotations

import re
import sys
import time

from policykg.serve.closing import AfterClose

# A path arrives decoded (%0D%0A is a line break by then): control characters are written
# percent-encoded again, so a request can never add a line of its own to the log.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _escaped(text: str) -> str:
    return _CONTROL.sub(lambda m: f"%{ord(m.group()):02X}", text)


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
        # the line is written when the body is done
        return AfterClose(result, lambda: self._write(environ, status_holder[0], started))

    def _write(self, environ, status, started):
        ms = (time.perf_counter() - started) * 1000
        method, path = _escaped(environ.get("REQUEST_METHOD", "-")), _escaped(environ.get("PATH_INFO", ""))
        try:
            self.stream.write(f"{method} {path} {status} {ms:.1f}ms\n")
            self.stream.flush()
        except (OSError, ValueError):
            pass
