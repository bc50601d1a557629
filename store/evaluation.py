"""Evaluating user queries in this process, on helper threads, under the time limit.

The query has passed :func:`policykg.store.guard.check_query` first. A query that runs
over the limit is refused with reason ``timeout``, and ``on_timeout`` is called: the
runaway evaluation cannot be stopped inside the process, only by replacing the process
(:mod:`policykg.serve.supervisor` does), while the other server processes keep answering.
"""
from __future__ import annotations

import logging
import queue
import threading
import time

from policykg.store.backend import QueryJob
from policykg.store.errors import QueryRefused, limit_reached

log = logging.getLogger("policykg.server")


class Evaluator:
    """Evaluates user queries in this process, on helper threads, under the time limit.

    pyoxigraph releases the GIL while it evaluates and serialises, so the request thread
    can wait for a helper with a timeout and refuse the query on time. The runaway evaluation
    itself cannot be interrupted inside a process, so ``on_timeout`` is called: under
    ``policykg serve`` it asks the supervisor to replace this server process, which it
    does gracefully (a fresh process first, then this one is stopped once its other
    requests are answered), and the work really stops. See :mod:`policykg.serve.supervisor`.
    """

    # Deep algebra trees recurse in pyoxigraph: give helpers a stack far beyond what the
    # lexer's nesting and operator limits allow (the main thread's 8 MB does not).
    STACK_BYTES = 256 << 20

    def __init__(self, store, threads: int = 4, on_timeout=None):
        self._store = store          # a policykg.store.backend.Store: its answer() does the work
        self._jobs: "queue.SimpleQueue" = queue.SimpleQueue()
        self._on_timeout = on_timeout     # None when embedded: nothing can replace this process
        self._overrun_noted = False
        self.size = max(1, int(threads))
        # When each helper started its current query (0.0 when idle), for the watchdog.
        # One slot per helper, written only by it: no lock on the hot path.
        self._started = [0.0] * self.size
        previous = threading.stack_size()
        threading.stack_size(self.STACK_BYTES)
        try:
            for n in range(self.size):
                threading.Thread(target=self._serve, args=(n,), name=f"policykg-eval-{n}", daemon=True).start()
        finally:
            threading.stack_size(previous)

    def _serve(self, slot_index: int) -> None:
        while True:
            job, slot, done = self._jobs.get()
            store = self._store
            self._started[slot_index] = time.monotonic()
            try:
                slot.append(store.answer(job))
            except QueryRefused as exc:
                slot.append(exc)
            except Exception as exc:  # never let one query end the helper
                slot.append(QueryRefused("internal", f"the query could not be evaluated ({type(exc).__name__})"))
            finally:
                self._started[slot_index] = 0.0
            done.release()

    def use(self, store) -> None:
        """Evaluate later queries over ``store`` (queries in progress finish on the old one)."""
        self._store = store

    def longest_running(self) -> float:
        """Seconds the oldest evaluation in progress has been running (0 when idle)."""
        running = [t for t in self._started if t]
        return time.monotonic() - min(running) if running else 0.0

    def run(self, job: QueryJob, timeout: float) -> tuple[str, bytes]:
        """Evaluate ``job``; return (media type, body) or raise QueryRefused."""
        slot: list = []
        done = threading.Lock()     # released by the helper when the answer is in ``slot``
        done.acquire()
        self._jobs.put((job, slot, done))
        if not done.acquire(timeout=timeout):
            if self._on_timeout is not None:
                self._on_timeout()
            elif not self._overrun_noted:
                self._overrun_noted = True
                log.warning("a query over the time limit keeps running: no supervisor can replace this process")
            raise limit_reached("timeout", f"the query was stopped after the time limit of {timeout:g} s",
                                "query_timeout")
        reply = slot[0]
        if isinstance(reply, QueryRefused):
            raise reply
        return reply
