"""Evaluating user queries in child processes, so that the engine's death costs one query.

pyoxigraph can end the process that runs it: a Rust panic inside ``Store.query`` is not
turned into a Python exception but aborts the whole process (SIGABRT; seen with
``SELECT * WHERE { ?X foaf:knows* ?Y } ORDER BY ?X ?Y`` over mixed terms, where Rust's
sort finds the comparison is not a total order, 1 run in 3). In a server process that
would end every request it serves. So under ``policykg serve`` each server process keeps
``query_processes`` evaluation processes, each with its own copy of the data, and hands
each user query to one of them:

* the engine dies (panic, abort, stack overflow): that query is answered with 500
  ``engine_error``, the process is replaced, every other request goes on;
* a query runs over the time limit: its evaluation process is killed, so the work really
  stops at once and the server process keeps serving (no replacement needed).

The protocol on the child's stdin/stdout: the parent writes one JSON line with the data
source, the child answers ``{"stage": "ready"}`` once the data is open; then per query one
JSON line (the fields of :class:`policykg.store.backend.QueryJob`), answered by one JSON
line ``{"media_type": …, "length": n}`` followed by ``n`` bytes of body, or
``{"error": {"reason": …, "message": …}}`` (a reason of :data:`policykg.store.errors.REASONS`). The cost (a pipe round trip and a
copy of the body) is measured in ``make bench``.
"""
from __future__ import annotations

import json
import logging
import os
import queue
import signal
import subprocess
import sys
import threading
import time

from dataclasses import asdict

from policykg.store.backend import DataSource, OxigraphStore, QueryJob
from policykg.store.errors import QueryRefused, StoreError, limit_reached

log = logging.getLogger("policykg.server")
_CHILD = "from policykg.store.isolation import evaluation_main; evaluation_main()"
# Opening the data is not counted against a query's time limit, but is bounded.
OPEN_LIMIT = 600.0


def engine_error(detail: str) -> QueryRefused:
    return QueryRefused("engine_error", "the query engine failed on this query and its evaluation was stopped "
                                        f"({detail}); the service goes on, other queries are answered — "
                                        "查询引擎在此查询上出错，已停止该查询，服务照常运行")


class _Child:
    """One evaluation process with the data open."""

    def __init__(self, source, base: str, include_background: bool):
        env = dict(os.environ)
        env["RUST_BACKTRACE"] = "0"   # a few lines in the log for a panic, not sixty
        self.process = subprocess.Popen([sys.executable, "-c", _CHILD], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, env=env)
        self.source = source
        self._send({"source": {"kind": source.kind, "path": source.path}, "base": base,
                    "include_background": include_background})
        self.ready = False

    @property
    def pid(self) -> int:
        return self.process.pid

    def _send(self, message: dict) -> None:
        self.process.stdin.write(json.dumps(message).encode("utf-8") + b"\n")
        self.process.stdin.flush()

    def _receive(self) -> dict:
        line = self.process.stdout.readline()
        if not line:
            raise EOFError
        return json.loads(line)

    def wait_ready(self) -> None:
        if not self.ready:
            message = self._receive()
            if "error" in message:
                raise QueryRefused("internal", str(message["error"]["message"]))
            self.ready = True

    def answer(self, job: QueryJob) -> tuple[str, bytes]:
        """Evaluate ``job`` in the child; EOFError when the child died."""
        self.wait_ready()
        self._send(asdict(job))
        message = self._receive()
        if "error" in message:
            error = message["error"]
            raise QueryRefused(str(error["reason"]), str(error["message"]))
        body = self.process.stdout.read(int(message["length"]))
        if len(body) != int(message["length"]):
            raise EOFError
        return message["media_type"], body

    def stop(self) -> int | None:
        """Kill the child (if alive) and reap it; its exit status (negative: the signal)."""
        if self.process.poll() is None:
            self.process.kill()
        for stream in (self.process.stdin, self.process.stdout):
            try:
                stream.close()
            except OSError:
                pass
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

    def __init__(self, store, processes: int = 2):
        self._store = store
        self._generation = 0
        self.size = max(1, int(processes))
        self._jobs: "queue.SimpleQueue[_Job]" = queue.SimpleQueue()
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
        child = _Child(store.source, store.base, store.include_background)
        child.generation = self._generation
        return child

    def child_pids(self) -> list[int]:
        """Process ids of the evaluation processes (for tests and the health page)."""
        return [c.pid for c in self.children if c is not None]

    def _serve(self, n: int) -> None:
        while True:
            job = self._jobs.get()
            child = self.children[n]
            if child is None or child.generation != self._generation or child.process.poll() is not None:
                if child is not None:
                    child.stop()
                try:
                    child = self.children[n] = self._spawn()
                except OSError as exc:   # no process to be had (memory, process limit): this query only
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
                job.reply = child.answer(job.query)
            except QueryRefused as exc:
                job.reply = exc
            except (EOFError, OSError, ValueError) as exc:
                with job.lock:
                    timed_out = job.timed_out
                status = _status(child.stop())
                self.children[n] = None   # replaced before the next job (or now, below)
                if timed_out:
                    log.warning("a query over the time limit was stopped with its evaluation process %d",
                                child.pid)
                else:
                    log.error("the evaluation process %d ended on a query (%s: %s); replacing it",
                              child.pid, status, type(exc).__name__)
                    job.reply = engine_error(status)
                try:
                    self.children[n] = self._spawn()
                except OSError as spawn_error:
                    log.error("could not start an evaluation process: %s", spawn_error)
            finally:
                self._started[n] = 0.0
                with job.lock:
                    job.child = None
            job.done.release()

    def use(self, store) -> None:
        """Evaluate later queries over ``store``: each process is replaced before its next query."""
        self._store = store
        self._generation += 1

    def longest_running(self) -> float:
        running = [t for t in self._started if t]
        return time.monotonic() - min(running) if running else 0.0

    def run(self, query: QueryJob, timeout: float) -> tuple[str, bytes]:
        """Evaluate ``query``; the time limit counts from when an evaluation process with the
        data open takes it (waiting for one is bounded by the queries before it, and OPEN_LIMIT)."""
        job = _Job(query)
        self._jobs.put(job)
        job.started.wait(OPEN_LIMIT)
        if not job.done.acquire(timeout=timeout):
            with job.lock:
                job.timed_out = True
                if job.child is not None:   # kill only while it is this job's: never the next one's
                    job.child.process.kill()
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
    try:
        _child_loop()
    except BrokenPipeError:   # the server process ended (or killed us): nothing to answer
        os._exit(0)


def _child_loop() -> None:
    # The protocol owns the real stdout; anything a library prints goes to the log (stderr).
    stdin, stdout = sys.stdin.buffer, os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)

    def say(message: dict, body: bytes = b"") -> None:
        stdout.write(json.dumps(message).encode("utf-8") + b"\n" + body)
        stdout.flush()

    setup = json.loads(stdin.readline())
    try:
        store = OxigraphStore.open_source(DataSource(**setup["source"]), setup["base"],
                                          setup["include_background"])
    except (StoreError, OSError) as exc:
        say({"error": {"reason": "internal", "message": f"the data could not be opened: {exc}"}})
        return
    say({"stage": "ready"})
    parent = os.getppid()

    def orphaned() -> None:   # a query still running when its server process ended stops too
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=orphaned, daemon=True).start()
    for line in stdin:
        job = QueryJob(**json.loads(line))
        try:
            media_type, body = store.answer(job)
        except QueryRefused as exc:
            say({"error": {"reason": exc.reason, "message": exc.message}})
            continue
        except Exception as exc:  # noqa: BLE001 - a Python error ends the query, not the process
            say({"error": {"reason": "engine_error",
                           "message": f"the query could not be evaluated ({type(exc).__name__})"}})
            continue
        say({"media_type": media_type, "length": len(body)}, body)
