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
``{"error": {"reason": …, "message": …}}`` (a reason of :data:`policykg.store.errors.REASONS`). The cost (a pipe round trip and a
copy of the body) is measured in ``make bench``.
"""
from __future__ import annotations

import collections
import json
import logging
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

from dataclasses import asdict

from policykg import memory
from policykg.store import forking, runtime, shared
from policykg.store.backend import DataSource, QueryJob
from policykg.store.errors import QueryRefused, StoreError, limit_reached

log = logging.getLogger("policykg.server")
_CHILD = "from policykg.store.isolation import evaluation_main; evaluation_main()"
# Opening the data is not counted against a query's time limit, but is bounded.
OPEN_LIMIT = 600.0


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

    @property
    def pid(self) -> int | None:
        return self._pid

    def _send(self, message: dict) -> None:
        self._out.write(json.dumps(message).encode("utf-8") + b"\n")
        self._out.flush()

    def _receive(self) -> dict:
        line = self._in.readline()
        if not line:
            self._dead = True
            raise EOFError
        return json.loads(line)

    def wait_ready(self) -> None:
        if not self.ready:
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
            poller = select.poll()
            poller.register(self.sock, select.POLLIN | select.POLLHUP | select.POLLERR)
            if poller.poll(0):
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

    def answer(self, job: QueryJob) -> tuple[str, bytes]:
        """Evaluate ``job`` in the child; EOFError when the child died."""
        self.wait_ready()
        try:
            self._send(asdict(job))
        except OSError as exc:   # EPIPE/ECONNRESET: nobody at the other end
            self._dead = True
            raise NotDelivered(str(exc)) from exc
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


class _Job:
    __slots__ = ("query", "reply", "started", "done", "lock", "child", "timed_out")

    def __init__(self, query: QueryJob):
        self.query = query
        self.reply = None
        self.started = threading.Event()   # an evaluation process with the data open took it
        self.done = threading.Lock()
        self.done.acquire()
        self.lock = threading.Lock()   # guards child/timed_out between the helper and the waiter
        self.child: _Child | None = None
        self.timed_out = False


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
    ``longest_running``), each query evaluated in one of ``processes`` child processes."""

    def __init__(self, store, processes: int = 2, memory_mb: int = 0, queue_limit: int | None = None,
                 forker: Path | None = None, refork_after: float = 10.0, idle_refork: float = 1.0):
        self._store = store
        self.idle_refork = float(idle_refork)
        self._generation = 0
        self.size = max(1, int(processes))
        self.memory_mb = int(memory_mb)
        # Queries waiting for an evaluation process beyond this many are refused at once (503 busy).
        self.queue_limit = max(0, int(queue_limit)) if queue_limit is not None else 8 * self.size
        self._waiting = 0
        self._waiting_lock = threading.Lock()
        self.forker = forker
        # Present once the forker serves the in-memory copy loaded in the background (forking.MEMORY_READY).
        self._memory_ready = Path(forker).parent / forking.MEMORY_READY if forker is not None else None
        self.refork_after = float(refork_after)
        # Jobs go to the evaluation process idle most recently (a stack), so that at low concurrency
        # one process answers the queries one after another and the others stay idle and clean: a
        # process replaced after an idle second (idle_refork) would pay again for every page it walks.
        self._dispatch = threading.Lock()
        self._pending: "collections.deque[_Job]" = collections.deque()
        self._idle: list[int] = []
        self._handed: list[_Job | None] = [None] * self.size
        self._wake = [threading.Event() for _ in range(self.size)]
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
        for n in range(self.size):
            threading.Thread(target=self._serve, args=(n,), name=f"policykg-eval-{n}", daemon=True).start()

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
        """A fresh evaluation process in slot ``n``; none (started again at its next job) when the
        machine cannot start one now."""
        try:
            self.children[n] = self._spawn()
        except (OSError, ValueError) as spawn_error:
            self.children[n] = None
            log.error("could not start an evaluation process: %s", spawn_error)

    def child_pids(self) -> list[int]:
        """Process ids of the evaluation processes (for tests and the health page)."""
        return [c.pid for c in self.children if c is not None and c.pid is not None]

    def _serve(self, n: int) -> None:
        # After idle_refork seconds without a query, an evaluation process that copied much of the
        # shared data (its scans wrote to it) is replaced by a fresh fork: the copy goes back while idle.
        idle = self.idle_refork if self.idle_refork > 0 else None
        while True:
            job = self._next_job(n, idle)
            if job is None:
                self._retire_if_unshared(n)
                continue
            child = self.children[n]
            if child is None or child.generation != self._generation or not child.alive() \
                    or self._moves_to_memory(child):
                if child is not None:
                    child.stop()
                try:
                    child = self.children[n] = self._spawn()
                except (OSError, ValueError) as exc:   # no process to be had (memory, process limit): this query only
                    self.children[n] = None
                    job.reply = QueryRefused("unavailable", f"no evaluation process could be started ({exc}); "
                                                            "try again")
                    job.started.set()
                    job.done.release()
                    continue
            try:
                child.wait_ready()   # a replacement opens the data before the query's time starts
            except (EOFError, OSError, ValueError, QueryRefused):
                pass                 # it died opening the data: answer() below reports it
            with job.lock:
                if job.timed_out:          # waited in the queue past its limit: never start it
                    continue
                job.child = child
            self._started[n] = time.monotonic()
            job.started.set()
            try:
                job.reply = self._answer(n, child, job)
                child = self.children[n]
            except QueryRefused as exc:
                child = self.children[n] or child
                job.reply = exc
            except (EOFError, OSError, ValueError) as exc:
                child = self.children[n] or child
                with job.lock:
                    timed_out = job.timed_out
                status = _status(child.stop())
                self.children[n] = None   # replaced before the next job (or now, below)
                if timed_out:
                    log.warning("a query over the time limit was stopped with its evaluation process %s",
                                child.pid)
                else:
                    log.error("the evaluation process %s ended on a query (%s: %s); replacing it",
                              child.pid, status, type(exc).__name__)
                    job.reply = engine_error(status)
                self._respawn(n)
            finally:
                self._started[n] = 0.0
                with job.lock:
                    job.child = None
            child.answered = True
            job.done.release()
            if child.retiring and self.children[n] is child:
                # Its queries made it copy much of the shared data: a fresh fork shares it again.
                child.stop(quietly=True)
                self._respawn(n)

    def _answer(self, n: int, child: _Child, job: _Job) -> tuple[str, bytes]:
        """``child``'s answer to ``job``. A child found dead as the query was sent (killed while
        idle, after the look before dispatch) ran nothing: the query goes to its replacement, once."""
        try:
            return child.answer(job.query)
        except NotDelivered:
            log.warning("the evaluation process %s had ended before a query reached it; sending the query "
                        "to a fresh one", child.pid)
            child.stop()
            self._respawn(n)
            fresh = self.children[n]
            if fresh is None:
                raise QueryRefused("unavailable", "no evaluation process could be started; try again") from None
            with job.lock:
                if job.timed_out:
                    raise
                job.child = fresh
            return fresh.answer(job.query)

    def _moves_to_memory(self, child: _Child) -> bool:
        """Whether ``child``, ready over the store folder, should give way to a fork of the
        in-memory copy the forker now holds (one ``stat`` a query until it has)."""
        return (self._memory_ready is not None and child.ready and not child.in_memory
                and child.sock is not None and self._memory_ready.exists())

    def _hand_out(self, job: _Job) -> None:
        with self._dispatch:
            if not self._idle:
                self._pending.append(job)
                return
            n = self._idle.pop()
            self._handed[n] = job
        self._wake[n].set()

    def _next_job(self, n: int, idle: float | None) -> _Job | None:
        """The next job for thread ``n`` (waiting on top of the idle stack); None after ``idle``
        seconds without one."""
        with self._dispatch:
            if self._pending:
                return self._pending.popleft()
            self._wake[n].clear()
            self._idle.append(n)
        self._wake[n].wait(idle)
        with self._dispatch:
            job, self._handed[n] = self._handed[n], None
            if job is None:
                self._idle.remove(n)
            return job

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

    def run(self, query: QueryJob, timeout: float) -> tuple[str, bytes]:
        """Evaluate ``query``; the time limit counts from when an evaluation process with the
        data open takes it. Waiting for one is bounded: beyond ``queue_limit`` queries waiting,
        or after waiting ``timeout`` seconds, the query is refused with 503 ``busy``."""
        with self._waiting_lock:
            idle = sum(1 for started in self._started if not started)
            if self._waiting >= self.queue_limit + idle:
                raise QueryRefused("busy", f"every evaluation process is busy and {self.queue_limit} queries "
                                           "wait already; try again shortly — 查询繁忙，请稍后重试")
            self._waiting += 1
        try:
            job = _Job(query)
            self._hand_out(job)
            if not job.started.wait(max(timeout, 1.0)):
                with job.lock:
                    if job.child is None:       # still queued: never start it
                        job.timed_out = True
                        raise QueryRefused("busy", f"no evaluation process was free within {timeout:g} s; "
                                                   "try again shortly — 查询繁忙，请稍后重试")
        finally:
            with self._waiting_lock:
                self._waiting -= 1
        if not job.done.acquire(timeout=timeout):
            with job.lock:
                job.timed_out = True
                if job.child is not None:   # kill only while it is this job's: never the next one's
                    job.child.kill()
            raise limit_reached("timeout", f"the query was stopped after the time limit of {timeout:g} s",
                                "query_timeout")
        reply = job.reply
        if isinstance(reply, QueryRefused):
            raise reply
        if reply is None:
            raise engine_error("no answer")
        return reply

    def close(self) -> None:
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

    def __init__(self, budget_mb: int, write, write_lock: threading.Lock):
        self.budget = max(0, budget_mb) << 20
        self.running = threading.Event()
        self._write = write
        self._lock = write_lock
        self._baseline = 0
        if not self.budget:
            return
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

    def start_query(self) -> None:
        if self.budget:
            self._baseline = _statm()[1]
            self.running.set()

    def _watch(self) -> None:
        while True:
            self.running.wait()
            while self.running.is_set():
                if _statm()[1] - self._baseline > self.budget:
                    with self._lock:   # the answer, if written, is whole: then end quietly
                        if self.running.is_set():
                            self.running.clear()
                            try:
                                self._write({"error": {"reason": "resource_limit", "message": self.message()}})
                            except OSError:
                                pass   # its server process went first (it ended, or the time limit)
                    os._exit(0)
                time.sleep(self.POLL)
