"""Evaluating user queries in child processes, so that the engine's death costs one query.

pyoxigraph can end the process that runs it: a Rust panic inside ``Store.query`` is not
turned into a Python exception but aborts the whole process (SIGABRT; seen with
``SELECT * WHERE { ?X foaf:knows* ?Y } ORDER BY ?X ?Y`` over mixed terms, where Rust's
sort finds the comparison is not a total order, 1 run in 3). In a server process that
would end every request it serves. So under ``policykg serve`` each server process keeps
``query_processes`` evaluation processes and hands each user query to one of them. They are
forked from the one copy of the data the supervisor loaded (:mod:`policykg.store.forking`,
:mod:`policykg.store.shared`), so they share its pages and start in milliseconds; without a
forker (an application embedded elsewhere, or data published by an /update) each is a fresh
interpreter that opens the data itself:

* the engine dies (panic, abort, stack overflow): that query is answered with 500
  ``engine_error``, the process is replaced, every other request goes on;
* a query runs over the time limit: its evaluation process is killed, so the work really
  stops at once and the server process keeps serving (no replacement needed);
* a query needs more memory than its budget (``query_memory_mb``): it is answered with 503
  ``resource_limit`` and its evaluation process ends (:class:`MemoryWatch`);
* every evaluation process is busy: a query waits in a bounded queue; beyond it, or after
  waiting as long as the time limit, it is answered with 503 ``busy`` and Retry-After.

The protocol on the child's stdin/stdout: the parent writes one JSON line with the data
source, the child answers ``{"stage": "ready", "pid": …}`` once the data is open; then per query one
JSON line (the fields of :class:`policykg.store.backend.QueryJob`), answered by one JSON
line ``{"media_type": …, "length": n}`` followed by ``n`` bytes of body, or
``{"error": {"reason": …, "message": …}}`` (a reason of :data:`policykg.store.errors.REASONS`). The request
thread writes the query and reads the answer itself (:class:`IsolatedEvaluator`), so the cost is a round
trip on the socket (two process wake-ups) and a copy of the body: about 0.1 ms a query more than
evaluating on threads, measured in ``make bench`` (bench/RESULTS.md, issue 19).
"""
from __future__ import annotations

import collections
import json
import logging
import math
import os
import resource
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from dataclasses import fields

from policykg import memory
from policykg.store import forking, shared
from policykg.store.backend import DataSource, QueryJob
from policykg.store.errors import QueryRefused, StoreError, limit_reached

log = logging.getLogger("policykg.server")
_CHILD = "from policykg.store.isolation import evaluation_main; evaluation_main()"
# Opening the data is not counted against a query's time limit, but is bounded.
OPEN_LIMIT = 600.0
_JOB_FIELDS = tuple(field.name for field in fields(QueryJob))   # what goes to the child, in order


class NotDelivered(EOFError):
    """The query never reached the evaluation process: it had ended before (killed while idle).
    Nothing ran, so the query may go to a fresh process."""


def engine_error(detail: str) -> QueryRefused:
    return QueryRefused("engine_error", "the query engine failed on this query and its evaluation was stopped "
                                        f"({detail}); the service goes on, other queries are answered — "
                                        "查询引擎在此查询上出错，已停止该查询，服务照常运行")


class _Child:
    """One evaluation process with the data open: forked from the one loaded copy when the
    runtime folder has a forker (:mod:`policykg.store.forking`), else a fresh interpreter
    that opens the data itself (an application embedded elsewhere, data after an /update)."""

    def __init__(self, source, base: str, include_background: bool, memory_mb: int = 0,
                 forker: Path | None = None, refork_after: float = 10.0):
        self.source = source
        self.forker = forker
        self.process: subprocess.Popen | None = None
        self.sock: socket.socket | None = None
        self._pid: int | None = None
        self._dead = False
        self.retiring = False   # it said it will end after this answer (see _answer_queries)
        self.answered = False   # it answered since its sharing was last looked at (_retire_if_unshared)
        self.in_memory = False  # it evaluates over the in-memory copy (else over what the source names)
        self.data_bytes = 0     # the size of the shared copy it was forked with (0: none)
        setup = {"source": {"kind": source.kind, "path": source.path}, "base": base,
                 "include_background": include_background, "memory_mb": int(memory_mb),
                 "refork_after": float(refork_after)}
        if forker is not None:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                sock.connect(str(forker))
            except OSError as exc:
                sock.close()
                log.warning("the evaluation forker does not answer (%s): evaluation processes load the data "
                            "themselves", exc)
                self.forker = None
            else:
                self.sock = sock
                self._out, self._in = sock.makefile("wb"), sock.makefile("rb")
        if self.sock is None:
            env = dict(os.environ)
            env["RUST_BACKTRACE"] = "0"   # a few lines in the log for a panic, not sixty
            self.process = subprocess.Popen([sys.executable, "-c", _CHILD], stdin=subprocess.PIPE,
                                            stdout=subprocess.PIPE, env=env)
            self._pid = self.process.pid
            self._out, self._in = self.process.stdin, self.process.stdout
        self._send(setup)
        self.ready = False
        self._poller = select.poll()   # the answer (or the end) can be read: see _answers_by
        self._poller.register(self._in.fileno(), select.POLLIN | select.POLLHUP | select.POLLERR)

    @property
    def pid(self) -> int | None:
        return self._pid

    def _send(self, message: dict) -> None:
        self._out.write(json.dumps(message).encode("utf-8") + b"\n")
        self._out.flush()

    def dead(self) -> None:
        """It was killed (or will end): never used again."""
        self._dead = True

    def _answers_by(self, deadline: float | None) -> bool:
        """Whether the child writes (or ends) before ``deadline`` (time.monotonic; None: no limit).
        The protocol leaves nothing unread in ``_in`` between two exchanges, so the descriptor
        tells when the next message starts."""
        if deadline is None:
            return True
        return bool(self._poller.poll(max(0, math.ceil((deadline - time.monotonic()) * 1000))))

    def _receive(self) -> dict:
        line = self._in.readline()
        if not line:
            self._dead = True
            raise EOFError
        return json.loads(line)

    def wait_ready(self, deadline: float | None = None) -> None:
        """Until the child has the data open; TimeoutError if it has not said so by ``deadline``."""
        if not self.ready:
            if not self._answers_by(deadline):
                raise TimeoutError("the evaluation process is still opening the data")
            message = self._receive()
            if "error" in message:
                raise QueryRefused("internal", str(message["error"]["message"]))
            self._pid = int(message.get("pid") or self._pid or 0) or None
            self.in_memory = bool(message.get("memory"))
            self.data_bytes = int(message.get("data_bytes") or 0)
            self.ready = True

    def alive(self) -> bool:
        if self._dead:
            return False
        if self.process is not None:
            return self.process.poll() is None
        if self._dead or self._pid is None:
            return not self._dead and self._pid is None   # not ready yet: alive until it says otherwise
        if self.ready and self.sock is not None:
            # A forked child is not ours to wait for, and its pid may already be another process's
            # (pids wrap within minutes on a busy machine), so ask its socket: an idle child never
            # writes, so anything to read, or a hang-up, means it has ended.
            if self._poller.poll(0):
                self._dead = True
                return False
            return True
        try:
            os.kill(self._pid, 0)
        except ProcessLookupError:
            return False
        return True

    def kill(self) -> None:
        """Stop the evaluation at once (the reader sees the end of the stream)."""
        if self.process is not None:
            self.process.kill()
        elif self._pid is not None:
            try:
                os.kill(self._pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def answer(self, job: QueryJob, deadline: float | None = None) -> tuple[str, bytes]:
        """Evaluate ``job`` in the child; EOFError when the child died, _OverTime when it has not
        answered by ``deadline`` (time.monotonic; the caller then kills it)."""
        self.wait_ready()
        try:
            self._send({name: getattr(job, name) for name in _JOB_FIELDS})
        except OSError as exc:   # EPIPE/ECONNRESET: nobody at the other end
            self._dead = True
            raise NotDelivered(str(exc)) from exc
        if not self._answers_by(deadline):
            raise _OverTime()
        message = self._receive()
        if "error" in message:
            error = message["error"]
            if error["reason"] == "resource_limit":
                # It ends itself after this answer: a query sent to it meanwhile would be lost with it.
                self._dead = True
            raise QueryRefused(str(error["reason"]), str(error["message"]))
        body = self._in.read(int(message["length"]))
        if len(body) != int(message["length"]):
            self._dead = True
            raise EOFError
        self.retiring = bool(message.get("retire"))
        return message["media_type"], body

    def stop(self, quietly: bool = False) -> int | None:
        """Kill the child (if alive) and reap it; its exit status (negative: the signal).
        ``quietly``: it is ending by itself, its status is not wanted."""
        if self.alive() and not quietly:
            self.kill()
        for stream in (self._out, self._in):
            try:
                stream.close()
            except OSError:
                pass
        if self.sock is not None:
            self.sock.close()
            if quietly:
                return None
            # The forker is its parent: it knows how the child ended.
            return forking.exit_status(self.forker, self._pid) if self._pid is not None else None
        try:
            return self.process.wait(30)
        except subprocess.TimeoutExpired:
            return None


class _Waiter:
    """A request thread waiting for an evaluation process: the next one freed is handed to it."""
    __slots__ = ("slot", "handed")

    def __init__(self):
        self.slot: int | None = None
        self.handed = threading.Lock()   # released once ``slot`` is set
        self.handed.acquire()


class _OverTime(Exception):
    """The evaluation process gave no answer within the query's time limit."""


def _status(code: int | None) -> str:
    if code is None:
        return "did not exit"
    if code < 0:
        try:
            return f"signal {signal.Signals(-code).name}"
        except ValueError:
            return f"signal {-code}"
    return f"exit status {code}"


class IsolatedEvaluator:
    """The interface of :class:`policykg.store.evaluation.Evaluator` (``run``, ``use``, ``size``,
    ``longest_running``), each query evaluated in one of ``processes`` child processes.

    The request thread itself takes an idle evaluation process (a *slot*), writes the query to
    it and reads the answer, waiting at most the time limit; then it gives the slot back. No
    other thread is woken on the way (each wake-up of another thread costs a switch of the
    interpreter lock: the two of a dispatcher thread cost about 40 µs a query, bench/RESULTS.md).
    What can wait — replacing a process that died, went over the time limit or said it
    retires, and looking at idle ones (:meth:`_retire_if_unshared`) — is done by one *keeper*
    thread, which gives the slot back once its process is ready.
    """

    def __init__(self, store, processes: int = 2, memory_mb: int = 0, queue_limit: int | None = None,
                 forker: Path | None = None, refork_after: float = 10.0, idle_refork: float = 1.0):
        self._store = store
        self.idle_refork = float(idle_refork)
        self._generation = 0
        self.size = max(1, int(processes))
        self.memory_mb = int(memory_mb)
        # Queries waiting for an evaluation process beyond this many are refused at once (503 busy).
        self.queue_limit = max(0, int(queue_limit)) if queue_limit is not None else 8 * self.size
        self.forker = forker
        # Present once the forker serves the in-memory copy loaded in the background (forking.MEMORY_READY).
        self._memory_ready = Path(forker).parent / forking.MEMORY_READY if forker is not None else None
        self.refork_after = float(refork_after)
        # Queries go to the evaluation process idle most recently (a stack), so that at low concurrency
        # one process answers the queries one after another and the others stay idle and clean: a
        # process replaced after an idle second (idle_refork) would pay again for every page it walks.
        self._lock = threading.Lock()     # guards _idle, _idle_since, _queue, _repairs
        self._idle: list[int] = []
        self._idle_since = [0.0] * self.size
        self._queue: "collections.deque[_Waiter]" = collections.deque()   # oldest first
        self._repairs: "collections.deque[int]" = collections.deque()     # slots the keeper makes ready
        self._keeper_wake = threading.Condition(self._lock)
        self._closed = False
        self._started = [0.0] * self.size
        self.children: list[_Child | None] = [None] * self.size
        for n in range(self.size):
            self.children[n] = self._spawn()
        # The server process is ready when its evaluation processes are: a first query must
        # not pay for their start (an interpreter and the data: seconds for a large store).
        for child in self.children:
            try:
                child.wait_ready()
            except (EOFError, OSError, ValueError, QueryRefused) as exc:
                log.error("an evaluation process could not open the data (%s); it is started again on use", exc)
        now = time.monotonic()
        for n in range(self.size):
            self._idle.append(n)
            self._idle_since[n] = now
        threading.Thread(target=self._keep, name="policykg-eval-keeper", daemon=True).start()

    def _spawn(self) -> _Child:
        store = self._store
        # The forker holds the data file the service started with; other data (after an
        # /update) is opened by a process of its own.
        # A store folder is opened by the forked child itself (after the fork: RocksDB's threads).
        forker = self.forker if self.forker is not None and (store.source.kind == "folder" or shared.preloaded(
            store.source, store.base, store.include_background) is not None) else None
        child = _Child(store.source, store.base, store.include_background, self.memory_mb, forker,
                       self.refork_after)
        child.generation = self._generation
        return child

    def _respawn(self, n: int) -> None:
        """A fresh evaluation process in slot ``n``; none (started again at its next query) when the
        machine cannot start one now."""
        try:
            self.children[n] = self._spawn()
        except (OSError, ValueError) as spawn_error:
            self.children[n] = None
            log.error("could not start an evaluation process: %s", spawn_error)

    def child_pids(self) -> list[int]:
        """Process ids of the evaluation processes (for tests and the health page)."""
        return [c.pid for c in self.children if c is not None and c.pid is not None]

    # -- slots: taken by a request thread, given back, or mended by the keeper ----------------

    def _check_out(self, timeout: float) -> int:
        """An idle slot for this request thread, the most recently idle one; waiting in a bounded
        queue (oldest first) at most ``timeout`` seconds (at least one) when every one is busy."""
        with self._lock:
            if self._idle:
                return self._idle.pop()
            if len(self._queue) >= self.queue_limit:
                raise QueryRefused("busy", f"every evaluation process is busy and {self.queue_limit} queries "
                                           "wait already; try again shortly — 查询繁忙，请稍后重试")
            waiter = _Waiter()
            self._queue.append(waiter)
        if waiter.handed.acquire(timeout=max(timeout, 1.0)):
            return waiter.slot
        with self._lock:
            if waiter.slot is None:        # still queued: never start it
                self._queue.remove(waiter)
                raise QueryRefused("busy", f"no evaluation process was free within {timeout:g} s; "
                                           "try again shortly — 查询繁忙，请稍后重试")
        return waiter.slot                 # handed over just as the wait ended

    def _release(self, n: int, bottom: bool = False) -> None:
        """Slot ``n`` is free: to the oldest waiting query, else on top of the idle stack (at its
        bottom with ``bottom``: a slot the keeper looked at after it was idle a while)."""
        with self._lock:
            if self._queue:
                waiter = self._queue.popleft()
                waiter.slot = n
                waiter.handed.release()
                return
            self._idle_since[n] = time.monotonic()
            if bottom:
                self._idle.insert(0, n)
            else:
                self._idle.append(n)

    def _mend_later(self, n: int) -> None:
        """Slot ``n`` goes to the keeper, which gives it back once its process is ready."""
        with self._lock:
            self._repairs.append(n)
            self._keeper_wake.notify()

    def _give_back(self, n: int) -> None:
        child = self.children[n]
        if child is None or not child.alive() or child.retiring:
            self._mend_later(n)
        else:
            self._release(n)

    def _keep(self) -> None:
        """The keeper: replaces what request threads left behind, looks at idle processes."""
        tick = min(1.0, max(0.05, self.idle_refork / 2)) if self.idle_refork > 0 else None
        while True:
            with self._lock:
                if not self._repairs and not self._closed:
                    self._keeper_wake.wait(tick)
                if self._closed:
                    return
                repairs = list(self._repairs)
                self._repairs.clear()
            for n in repairs:
                try:
                    self._mend(n)
                except Exception:  # noqa: BLE001 - the keeper must outlive any one repair
                    log.exception("replacing evaluation process number %s failed; it is started again on use", n)
                finally:
                    self._release(n)
            if tick is not None:
                try:
                    self._look_at_idle()
                except Exception:  # noqa: BLE001
                    log.exception("looking at the idle evaluation processes failed")

    def _mend(self, n: int) -> None:
        """Make slot ``n``'s evaluation process ready: a fresh one when it ended or retires."""
        child = self.children[n]
        if child is not None and (child.retiring or not child.alive()):
            status = child.stop(quietly=child.retiring)
            if not child.retiring:
                log.info("the evaluation process %s ended (%s); replaced", child.pid, _status(status))
            child = None
        if child is None:
            self._respawn(n)
            child = self.children[n]
        if child is not None:
            try:
                child.wait_ready()
            except (EOFError, OSError, ValueError, QueryRefused) as exc:
                log.error("an evaluation process could not open the data (%s); it is started again on use", exc)

    def _look_at_idle(self) -> None:
        """Each process idle for ``idle_refork`` seconds since it last answered is looked at once
        (:meth:`_retire_if_unshared`), out of the idle stack meanwhile."""
        now = time.monotonic()
        with self._lock:
            due = [n for n in self._idle if now - self._idle_since[n] >= self.idle_refork and self._worth_a_look(n)]
            for n in due:
                self._idle.remove(n)
        for n in due:
            try:
                self._retire_if_unshared(n)
            finally:
                self._release(n, bottom=True)

    def _worth_a_look(self, n: int) -> bool:
        child = self.children[n]
        return child is not None and child.sock is not None and (
            child.answered or (not child.ready and self._memory_ready is not None) or self._moves_to_memory(child))

    # -- one query ------------------------------------------------------------------------------

    def run(self, query: QueryJob, timeout: float) -> tuple[str, bytes]:
        """Evaluate ``query``; the time limit counts from when an evaluation process with the
        data open takes it. Waiting for one is bounded: beyond ``queue_limit`` queries waiting,
        or after waiting ``timeout`` seconds, the query is refused with 503 ``busy``."""
        n = self._check_out(timeout)
        try:
            child = self._ready_child(n, time.monotonic() + max(timeout, 1.0))
        except TimeoutError:
            self._mend_later(n)    # it goes on opening the data; the slot comes back once it has
            raise QueryRefused("busy", "the evaluation process is still opening the data; try again shortly "
                                       "— 查询繁忙，请稍后重试") from None
        except QueryRefused:
            self._release(n)
            raise
        except BaseException:
            self._mend_later(n)
            raise
        self._started[n] = started = time.monotonic()
        try:
            reply = self._answer(n, child, query, started + timeout)
        except _OverTime:
            self._started[n] = 0.0
            self._stop_over_time(n)
            raise limit_reached("timeout", f"the query was stopped after the time limit of {timeout:g} s",
                                "query_timeout") from None
        except QueryRefused:
            self._started[n] = 0.0
            self._give_back(n)
            raise
        except (EOFError, OSError, ValueError, KeyError) as exc:
            self._started[n] = 0.0
            raise self._ended_on_query(n, child, exc) from None
        except BaseException:
            self._started[n] = 0.0
            self._kill(n)    # the exchange was cut in the middle: that process is not used again
            raise
        self._started[n] = 0.0
        child = self.children[n]
        child.answered = True
        # Its queries made it copy much of the shared data (retiring): a fresh fork shares it again.
        self._give_back(n)
        return reply

    def _ready_child(self, n: int, deadline: float) -> _Child:
        """Slot ``n``'s evaluation process, replaced first when it is gone, of older data, or
        over the store folder while the in-memory copy serves; TimeoutError when it has not
        opened the data by ``deadline`` (a fresh interpreter opening a large store)."""
        child = self.children[n]
        if child is None or child.generation != self._generation or not child.alive() \
                or self._moves_to_memory(child):
            if child is not None:
                child.stop()
            try:
                child = self.children[n] = self._spawn()
            except (OSError, ValueError) as exc:   # no process to be had (memory, process limit): this query only
                self.children[n] = None
                raise QueryRefused("unavailable", f"no evaluation process could be started ({exc}); "
                                                  "try again") from None
        try:
            child.wait_ready(deadline)   # a replacement opens the data before the query's time starts
        except TimeoutError:
            raise
        except (EOFError, OSError, ValueError, QueryRefused):
            pass                 # it died opening the data: answer() reports it
        return child

    def _answer(self, n: int, child: _Child, query: QueryJob, deadline: float) -> tuple[str, bytes]:
        """``child``'s answer to ``query``. A child found dead as the query was sent (killed while
        idle, after the look before it was taken) ran nothing: the query goes to its replacement, once."""
        try:
            return child.answer(query, deadline)
        except NotDelivered:
            log.warning("the evaluation process %s had ended before a query reached it; sending the query "
                        "to a fresh one", child.pid)
            child.stop()
            self._respawn(n)
            fresh = self.children[n]
            if fresh is None:
                raise QueryRefused("unavailable", "no evaluation process could be started; try again") from None
            return fresh.answer(query, deadline)

    def _stop_over_time(self, n: int) -> None:
        child = self.children[n]
        if child is not None:
            log.warning("a query over the time limit was stopped with its evaluation process %s", child.pid)
        self._kill(n)

    def _kill(self, n: int) -> None:
        """Kill slot ``n``'s process (its work really stops at once); the keeper replaces it. Only
        the request thread holding the slot calls this, so the process killed is the one running
        that thread's query, never the next query's."""
        child = self.children[n]
        if child is not None:
            child.kill()
            child.dead()
        self._mend_later(n)

    def _ended_on_query(self, n: int, child: _Child, exc: Exception) -> QueryRefused:
        child = self.children[n] or child
        status = _status(child.stop())
        self.children[n] = None
        log.error("the evaluation process %s ended on a query (%s: %s); replacing it",
                  child.pid, status, type(exc).__name__)
        self._mend_later(n)
        return engine_error(status)

    def _moves_to_memory(self, child: _Child) -> bool:
        """Whether ``child``, ready over the store folder, should give way to a fork of the
        in-memory copy the forker now holds (one ``stat`` a query until it has)."""
        return (self._memory_ready is not None and child.ready and not child.in_memory
                and child.sock is not None and self._memory_ready.exists())

    def _retire_if_unshared(self, n: int) -> None:
        """Replace the idle evaluation process ``n`` by a fresh fork when the queries it answered
        made it copy more than a quarter of the shared data (read from its smaps_rollup)."""
        child = self.children[n]
        if child is not None and child.sock is not None and not child.ready and self._memory_ready is not None:
            try:   # a replacement started while idle says which copy it has once it is ready
                child.wait_ready()
            except (EOFError, OSError, ValueError, QueryRefused):
                pass
        if child is not None and self._moves_to_memory(child):   # idle: it makes way before the next query
            child.stop()
            self._respawn(n)
            return
        if child is None or child.sock is None or not child.ready or not child.answered:
            return
        child.answered = False   # checked once after each run of queries, not every second
        if private_dirty(child.pid) <= unshared_limit(child.data_bytes):
            return
        child.kill()
        child.stop(quietly=True)
        self._respawn(n)

    def use(self, store) -> None:
        """Evaluate later queries over ``store``: each process is replaced before its next query."""
        self._store = store
        self._generation += 1

    def longest_running(self) -> float:
        running = [t for t in self._started if t]
        return time.monotonic() - min(running) if running else 0.0

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._keeper_wake.notify()
        for child in self.children:
            if child is not None:
                child.stop()


# ---------------------------------------------------------------------------
# The child process
# ---------------------------------------------------------------------------

def evaluation_main() -> None:
    """Open the data named on the first line of stdin, then answer one query per line."""
    # The protocol owns the real stdout; anything a library prints goes to the log (stderr).
    stdin, stdout = sys.stdin.buffer, os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    parent = os.getppid()

    def orphaned() -> bool:
        return os.getppid() != parent

    try:
        _answer_queries(stdin, stdout, json.loads(stdin.readline()), orphaned)
    except BrokenPipeError:   # the server process ended (or killed us): nothing to answer
        os._exit(0)


def serve_forked(conn: socket.socket, setup: dict) -> None:
    """In a process forked by :mod:`policykg.store.forking`: answer queries on ``conn``."""
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGCHLD):
        signal.signal(sig, signal.SIG_DFL)
    poller = select.poll()
    poller.register(conn.fileno(), select.POLLRDHUP)

    def orphaned() -> bool:   # the server process closed its end (it ended, or let us go)
        return bool(poller.poll(0))

    try:
        _answer_queries(conn.makefile("rb"), conn.makefile("wb"), setup, orphaned)
    except (BrokenPipeError, ConnectionResetError):
        os._exit(0)


def _answer_queries(reader, writer, setup: dict, orphaned) -> None:
    write_lock = threading.Lock()

    def write(message: dict, body: bytes = b"") -> None:
        writer.write(json.dumps(message).encode("utf-8") + b"\n" + body)
        writer.flush()

    def say(message: dict, body: bytes = b"") -> None:
        with write_lock:   # never beside the memory watch's last word
            watch.running.clear()
            write(message, body)

    try:
        store = shared.open_source(DataSource(**setup["source"]), setup["base"], setup["include_background"])
    except (StoreError, OSError) as exc:
        write({"error": {"reason": "internal", "message": f"the data could not be opened: {exc}"}})
        return
    watch = MemoryWatch(int(setup.get("memory_mb") or 0), write, write_lock)
    share = SharingWatch(float(setup.get("refork_after", 10.0))) if setup.get("forked") else None
    say({"stage": "ready", "pid": os.getpid(), "memory": shared.in_memory(store), "data_bytes": shared.data_bytes})

    def watch_parent() -> None:   # a query still running when its server process ended stops too
        while not orphaned():
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch_parent, daemon=True).start()
    for line in reader:
        job = QueryJob(**json.loads(line))
        watch.start_query()
        try:
            media_type, body = store.answer(job)
        except QueryRefused as exc:
            say({"error": {"reason": exc.reason, "message": exc.message}})
            continue
        except MemoryError:
            say({"error": {"reason": "resource_limit", "message": watch.message()}})
            os._exit(0)   # what is left of the heap is not worth keeping
        except Exception as exc:  # noqa: BLE001 - a Python error ends the query, not the process
            say({"error": {"reason": "engine_error",
                           "message": f"the query could not be evaluated ({type(exc).__name__})"}})
            continue
        if share is not None and share.unshared():
            say({"media_type": media_type, "length": len(body), "retire": True}, body)
            os._exit(0)
        say({"media_type": media_type, "length": len(body)}, body)


class SharingWatch:
    """Whether this forked evaluation process has copied too much of the shared data.

    pyoxigraph writes to the pages a scan walks, so each process that scans the data makes a
    private copy of what it walked. Once that copy exceeds a quarter of the data (as loaded by
    the supervisor, :data:`policykg.store.shared.data_bytes`), the process answers and ends, and
    a fresh fork shares the data again — but not before ``min_age`` seconds (``query_refork``):
    the fresh fork pays again, in copy-on-write faults, for every page its next scan walks,
    so a process replaced after each scanning query would answer those several times slower.
    Checked at most every half second (reading smaps_rollup walks the page tables).
    """

    EVERY = 0.5

    def __init__(self, min_age: float = 10.0):
        self._limit = unshared_limit()
        self._next = time.monotonic() + max(0.0, min_age)

    def unshared(self) -> bool:
        now = time.monotonic()
        if now < self._next:
            return False
        self._next = now + self.EVERY
        return private_dirty("self") > self._limit


def unshared_limit(data_bytes: int | None = None) -> int:
    """How much of the shared data (``data_bytes``; by default the copy this process holds or
    inherited) an evaluation process may have copied before it is replaced."""
    return max(8 << 20, (shared.data_bytes if data_bytes is None else data_bytes) // 4)


def private_dirty(pid) -> int:
    """Bytes of process ``pid`` (or "self") that no other process shares and that it wrote (0 if unknown)."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as fh:
            for line in fh:
                if line.startswith(b"Private_Dirty:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


# ---------------------------------------------------------------------------
# The memory budget of an evaluation process
# ---------------------------------------------------------------------------

_PAGE = os.sysconf("SC_PAGE_SIZE")
# Address space beyond the budget that the hard limit leaves (thread stacks, malloc arenas,
# a vector doubling past the budget before the watch sees its pages filled).
_ADDRESS_SLACK = 512 << 20


def _statm() -> tuple[int, int]:
    """(address space, resident) of this process, in bytes."""
    with open("/proc/self/statm", "rb") as fh:
        fields = fh.read().split()
    return int(fields[0]) * _PAGE, int(fields[1]) * _PAGE


def default_memory_mb(processes: int, fraction: float = 0.5) -> int:
    """``fraction`` of the machine's memory (or of the cgroup's limit, when lower) divided among
    ``processes`` evaluation processes, in MB."""
    return max(64, int(memory.total_bytes() * fraction / max(1, processes)) >> 20)


class MemoryWatch:
    """The memory budget of one evaluation process: what a query may add beyond the data.

    While a query runs, a thread reads the process's resident size every few milliseconds; a
    query that grows it by more than the budget is answered with ``resource_limit`` and the
    process ends (its memory goes back at once; the server process starts another). The
    address-space limit (RLIMIT_AS: the size at start, twice the budget and some slack) is the
    backstop for an allocation too fast for the watch: the engine then aborts, which the
    server process reports as ``engine_error``.
    """

    POLL = 0.003
    # After a query the thread keeps looking (cheaply) this long before it sleeps on ``running``:
    # queries in a row then never wake it, which would cost each a switch of the interpreter lock.
    LINGER = 0.5

    def __init__(self, budget_mb: int, write, write_lock: threading.Lock):
        self.budget = max(0, budget_mb) << 20
        self.running = threading.Event()
        self._write = write
        self._lock = write_lock
        self._baseline = 0
        if not self.budget:
            return
        # Kept open: a pread at offset 0 reads the current figures (a third of open, read, close).
        self._statm = os.open("/proc/self/statm", os.O_RDONLY)
        size, _ = _statm()
        limit = size + 2 * self.budget + _ADDRESS_SLACK
        try:
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        except (ValueError, OSError) as exc:
            log.warning("could not limit the evaluation process's address space: %s", exc)
        threading.Thread(target=self._watch, name="policykg-memory", daemon=True).start()

    def message(self) -> str:
        return (f"the query needed more than {self.budget >> 20} MB of memory and was stopped "
                "(limit: query_memory_mb, environment variable POLICYKG_QUERY_MEMORY_MB) — "
                "查询所需内存超过上限，已停止；其他查询不受影响")

    def _resident(self) -> int:
        return int(os.pread(self._statm, 128, 0).split()[1]) * _PAGE

    def start_query(self) -> None:
        if self.budget:
            self._baseline = self._resident()
            self.running.set()

    def _watch(self) -> None:
        while True:
            self.running.wait()
            quiet_until = time.monotonic() + self.LINGER
            while True:
                if self.running.is_set():
                    if self._resident() - self._baseline > self.budget:
                        self._over_budget()
                    quiet_until = time.monotonic() + self.LINGER
                elif time.monotonic() > quiet_until:
                    break
                time.sleep(self.POLL)

    def _over_budget(self) -> None:
        with self._lock:   # the answer, if written, is whole: then end quietly
            if self.running.is_set():
                self.running.clear()
                try:
                    self._write({"error": {"reason": "resource_limit", "message": self.message()}})
                except OSError:
                    pass   # its server process went first (it ended, or the time limit)
        os._exit(0)
