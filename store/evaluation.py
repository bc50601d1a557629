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

# A query this small (the guard's counts) is parsed by pyoxigraph within a fraction of a request
# thread's stack (granian's are 2 MiB): on a 512 KiB stack a chain of 400 operators or 100 nested
# groups parses, 800 or 150 overflow it (bench/RESULTS.md, "What the service adds over a SPARQL
# server"); larger ones go to a helper's STACK_BYTES.
SHALLOW_OPERATORS = 100
SHALLOW_DEPTH = 25


def shallow(info) -> bool:
    """Whether a query the guard inspected (``info``: policykg.store.guard.QueryInfo) is small enough
    to be handled on a request thread's own stack."""
    return info.operators <= SHALLOW_OPERATORS and info.depth <= SHALLOW_DEPTH


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

    def __init__(self, store, threads: int = 4, on_timeout=None, inline: bool = False):
        self._store = store          # a policykg.store.backend.Store: its answer() does the work
        # Shallow jobs answered on the caller's thread, for a store that keeps the time limit itself
        # (the remote store: its HTTP deadline): the hand-off to a helper and back cost ~0.1 ms.
        self._inline = inline
        self._inline_started: dict[int, float] = {}   # thread id -> when its inline job started
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
                slot.append(_answered(store, job))
            finally:
                self._started[slot_index] = 0.0
            done.release()

    def use(self, store) -> None:
        """Evaluate later queries over ``store`` (queries in progress finish on the old one)."""
        self._store = store

    def longest_running(self) -> float:
        """Seconds the oldest evaluation in progress has been running (0 when idle)."""
        running = [t for t in self._started if t] + list(self._inline_started.values())
        return time.monotonic() - min(running) if running else 0.0

    def run(self, job: QueryJob, timeout: float) -> tuple[str, bytes]:
        """Evaluate ``job``; return (media type, body) or raise QueryRefused."""
        if self._inline and job.shallow:
            return self._run_here(job)
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

    def _run_here(self, job: QueryJob) -> tuple[str, bytes]:
        """``job`` answered on this thread (the store keeps the time limit), seen by the watchdog."""
        me = threading.get_ident()
        self._inline_started[me] = time.monotonic()
        try:
            reply = _answered(self._store, job)
        finally:
            del self._inline_started[me]
        if isinstance(reply, QueryRefused):
            raise reply
        return reply


def _answered(store, job: QueryJob) -> tuple[str, bytes] | QueryRefused:
    """``store.answer(job)``, or the refusal a client gets for it: never another exception (one query
    must not end a helper thread, nor reach a request thread as anything but a refusal)."""
    try:
        return store.answer(job)
    except QueryRefused as exc:
        # Handed on, possibly to another thread, without the frames it came through: their locals may hold
        # pyoxigraph's lazy results, which must be dropped on the thread that made them (pyo3 "unsendable":
        # dropped on another, they leak and an error is printed)
        exc.__context__ = exc.__cause__ = None
        return exc.with_traceback(None)
    except Exception as exc:  # noqa: BLE001
        return QueryRefused("internal", f"the query could not be evaluated ({type(exc).__name__})")
