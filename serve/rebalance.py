"""Spreading keep-alive clients again over the server processes after one was replaced.

A client on a keep-alive connection stays with the process that accepted it. When a server
process dies, its clients reconnect to the survivors, and the fresh process that replaces it
would get no one until they reconnect for another reason: throughput would stay at a fraction
for as long as they keep their connections. So a server process, once ready, says so in the
runtime folder (``rebalance``); every server process (the fresh one too) then answers its
requests for a short window with ``Connection: close``, and each of those clients opens a new
connection, which the kernel hands to a process at random (granian listens with one
SO_REUSEPORT socket per process). All of them close, not only the survivors: a client closed
only by the survivors would keep reconnecting until it landed on the fresh process, and all
would end there; with every process closing, where a client is when the window ends is random.
"""
from __future__ import annotations

import os
import threading
import time
from pathlib import Path

STAMP = "rebalance"
WINDOW = 2.0      # seconds during which a process closes each connection after its answer
CHECK = 0.5       # how often the stamp is looked at


def announce_ready(folder: Path | None) -> None:
    """Tell the other server processes that this one is ready (it replaced one, or started)."""
    if folder is None:
        return
    try:
        (Path(folder) / STAMP).write_text(f"{os.getpid()}\n", encoding="ascii")
    except OSError:
        pass


class Rebalance:
    """WSGI middleware: ``Connection: close`` on answers for :data:`WINDOW` seconds after
    another server process announced itself ready."""

    def __init__(self, app, folder: Path | None):
        self.app = app
        self.folder = Path(folder) if folder is not None else None
        self.until = 0.0
        self._seen = self._stamp()
        if self.folder is not None:
            threading.Thread(target=self._watch, name="policykg-rebalance", daemon=True).start()

    def _stamp(self):
        if self.folder is None:
            return None
        try:
            info = os.stat(self.folder / STAMP)
            with open(self.folder / STAMP, encoding="ascii") as fh:
                pid = fh.read().strip()
        except (OSError, ValueError):
            return None
        return info.st_mtime_ns, pid

    def _watch(self) -> None:
        while True:
            time.sleep(CHECK)
            stamp = self._stamp()
            if stamp != self._seen:
                self._seen = stamp
                if stamp is not None:
                    # The same end for every process (from the stamp's time, not from when each
                    # saw it): the one whose window ended last would otherwise gather everyone.
                    self.until = stamp[0] / 1e9 + WINDOW

    def __call__(self, environ, start_response):
        if time.time() >= self.until:
            return self.app(environ, start_response)

        def closing(status, headers, exc_info=None):
            headers = [(k, v) for k, v in headers if k.lower() != "connection"] + [("Connection", "close")]
            return start_response(status, headers, exc_info)

        return self.app(environ, closing)
