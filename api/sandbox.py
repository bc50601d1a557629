"""Evaluating untrusted SPARQL: inspection before parsing, and stoppable worker processes.

Two defences, in order:

1. :func:`inspect_query` reads the query once with a small SPARQL *lexer* (strings,
   IRIs, comments and prefixed names are whole tokens, so a keyword inside a literal or
   an IRI never counts). It finds the query form, refuses updates, ``SERVICE`` (pyoxigraph
   would open an HTTP connection) and ``LOAD``, notes dataset clauses, and measures the
   bracket nesting depth *before* pyoxigraph's recursive parser sees the text (thousands
   of nested braces overflow its stack and abort the process).

2. :class:`QueryPool` evaluates the query in a worker process (a fresh Python started
   as ``python -m policykg.api.sandbox --worker``, one query at a time, reused). Each worker opens the data itself and
   serialises the results with pyoxigraph, sending back bytes. If a query exceeds the
   time limit its worker is killed (SIGKILL: the work really stops) and replaced in the
   background while other workers keep answering; a worker that crashes is replaced too.
"""
from __future__ import annotations

import collections
import itertools
import logging
import queue
import re
import socket
import subprocess
import sys
import threading
import time
from multiprocessing.connection import Connection
from dataclasses import dataclass, field

log = logging.getLogger("policykg.sandbox")

# ---------------------------------------------------------------------------
# 1. Inspection
# ---------------------------------------------------------------------------

# One alternation, tried left to right at each position; every construct that may
# contain brackets or keywords as plain text (strings, IRIs, comments) is one token.
_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<comment>\#[^\n\r]*)
  | (?P<string>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
              |'(?:[^'\\\n\r]|\\.)*'|"(?:[^"\\\n\r]|\\.)*")
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<var>[?$][A-Za-z0-9_\u00B7\u00C0-\uFFFF]+)
  | (?P<pname>(?:[A-Za-z\u00C0-\uFFFF][\w.\-\u00B7\u00C0-\uFFFF]*)?:(?:[\w\-.:%\\\u00B7\u00C0-\uFFFF]*[\w\-:%\u00B7\u00C0-\uFFFF])?)
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<open>[{(\[])
  | (?P<close>[})\]])
  | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)

QUERY_FORMS = {"SELECT", "CONSTRUCT", "ASK", "DESCRIBE"}
# Long chains of these build deep expression or algebra trees (1+1+…, {…} UNION {…} …)
# whose evaluation recurses: tens of thousands overflow pyoxigraph's stack in the worker.
_OPERATOR_CHARS = frozenset("+-*/|&=<>!^")
_OPERATOR_WORDS = frozenset({"UNION", "MINUS", "OPTIONAL"})
MAX_OPERATORS = 2000
UPDATE_KEYWORDS = {"INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH"}


@dataclass
class QueryInfo:
    form: str | None = None            # SELECT, CONSTRUCT, ASK, DESCRIBE (None if not found)
    is_update: bool = False
    update_keyword: str | None = None
    uses_service: bool = False
    uses_load: bool = False
    has_dataset_clause: bool = False   # FROM or FROM NAMED
    depth: int = 0
    too_deep: bool = False
    operators: int = 0                 # operators, group braces, UNION/MINUS/OPTIONAL: the algebra's size
    keywords: set = field(default_factory=set)


def inspect_query(text: str, max_depth: int | None = None) -> QueryInfo:
    """Lex ``text`` once; stop early when the nesting exceeds ``max_depth``."""
    info = QueryInfo()
    depth = 0
    prev_word = None
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup
        if kind in ("ws", "comment"):
            continue
        if kind == "open":
            if match.group() == "{":
                info.operators += 1
            depth += 1
            if depth > info.depth:
                info.depth = depth
                if max_depth is not None and depth > max_depth:
                    info.too_deep = True
                    return info
        elif kind == "close":
            depth -= 1
        elif kind == "word":
            word = match.group().upper()
            info.keywords.add(word)
            if word in _OPERATOR_WORDS:
                info.operators += 1
            if word == "SERVICE":
                info.uses_service = True
            elif word == "LOAD":
                info.uses_load = True
            if info.form is None and not info.is_update:
                if word in QUERY_FORMS:
                    info.form = word
                elif word in UPDATE_KEYWORDS:
                    info.is_update = True
                    info.update_keyword = word
            if word == "FROM" and info.form is not None:
                info.has_dataset_clause = True
            prev_word = word
            continue
        elif kind == "other" and match.group() in _OPERATOR_CHARS:
            info.operators += 1
        prev_word = None
    del prev_word
    return info


# ---------------------------------------------------------------------------
# 2. Worker processes
# ---------------------------------------------------------------------------

class QueryRefused(Exception):
    """The query cannot be answered; ``status`` is the HTTP status to use."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


class _CappedWriter:
    """A binary sink that refuses to grow past ``cap`` bytes."""

    def __init__(self, cap: int):
        self.cap = cap
        self.parts: list[bytes] = []
        self.size = 0

    def write(self, data) -> int:
        self.size += len(data)
        if self.size > self.cap:
            raise _TooBig()
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def getvalue(self) -> bytes:
        return b"".join(self.parts)


class _TooBig(Exception):
    pass


_POSITION = re.compile(r"^error at (\d+):(\d+): ?")


def describe_syntax_error(exc: SyntaxError) -> str:
    """pyoxigraph's "error at 4:2: expected …" as "syntax error at line 4, column 2: expected …"."""
    message = str(exc)
    match = _POSITION.match(message)
    if match:
        return f"syntax error at line {match.group(1)}, column {match.group(2)}: {message[match.end():]}"
    return f"syntax error: {message}"


def _evaluate(store, request: dict, union_options: dict):
    """Run one query in a worker; return ("ok", media_type, bytes) or ("error", status, message)."""
    import pyoxigraph as ox

    kwargs = {}
    if request.get("default") is not None or request.get("named") is not None:
        if request.get("default") is not None:
            kwargs["default_graph"] = [ox.NamedNode(g) for g in request["default"]] or [ox.DefaultGraph()]
        if request.get("named") is not None:
            kwargs["named_graphs"] = [ox.NamedNode(g) for g in request["named"]]
    elif not request.get("dataset_clause"):
        kwargs.update(union_options)
    max_results = request["max_results"]
    max_bytes = request["max_bytes"]
    try:
        result = store.query(request["query"], **kwargs)
        if isinstance(result, ox.QueryTriples):
            fmt = request.get("graph_format")
            if fmt is None:
                return ("error", 406, "no acceptable format for a graph result (CONSTRUCT/DESCRIBE)")
            triples = list(itertools.islice(result, max_results + 1))
            if len(triples) > max_results:
                return ("error", 400, f"the result has more than {max_results} triples; "
                                      "narrow the query or add LIMIT")
            rdf_format = getattr(ox.RdfFormat, fmt)
            return ("ok", rdf_format.media_type, ox.serialize(triples, format=rdf_format) or b"")
        fmt = request.get("results_format")
        if fmt is None:
            return ("error", 406, "no acceptable format for a SELECT/ASK result")
        results_format = getattr(ox.QueryResultsFormat, fmt)
        if isinstance(result, ox.QueryBoolean):
            return ("ok", results_format.media_type, result.serialize(format=results_format))
        out = _CappedWriter(max_bytes)
        result.serialize(out, format=results_format)
        body = out.getvalue()
        # A row takes at least one byte, so only a large body can hold too many rows.
        if len(body) > max_results:
            rows = sum(1 for _ in ox.parse_query_results(body, format=results_format))
            if rows > max_results:
                return ("error", 400, f"the result has more than {max_results} rows; "
                                      "narrow the query or add LIMIT")
        return ("ok", results_format.media_type, body)
    except _TooBig:
        return ("error", 400, f"the result is larger than {max_bytes} bytes; narrow the query or add LIMIT")
    except SyntaxError as exc:
        return ("error", 400, describe_syntax_error(exc))
    except (OSError, ValueError, TypeError, RuntimeError) as exc:
        return ("error", 400, f"the query could not be evaluated: {exc}")


def _watch_parent(parent_pid: int) -> None:
    """End this worker if the service process is gone (it was reparented), checked each second.

    (Linux's PR_SET_PDEATHSIG would fire when the *thread* that started the worker ends,
    which here is a short-lived starter thread, so it cannot be used.)
    """
    import os

    def watch():
        while True:
            time.sleep(1.0)
            if os.getppid() != parent_pid:
                os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _worker_main(conn, source_kind: str, source_path: str, base: str, include_background: bool) -> None:
    """A worker process: open the data, then answer requests until the connection closes."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when workers stop
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGALRM, signal.SIG_DFL)  # an alarm ends the process (see below)
    import os

    _watch_parent(os.getppid())
    from policykg.api.store import DataSource, default_graph_options

    try:
        store = DataSource(source_kind, source_path).open(read_only=True)
        graphs = [g.value for g in store.named_graphs() if hasattr(g, "value")]
        union_options = default_graph_options(base, include_background, graphs)
    except Exception as exc:  # reported to the parent, which logs it
        conn.send(("failed", f"{type(exc).__name__}: {exc}"))
        return
    conn.send(("ready", len(store)))
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            return
        if request is None:
            return
        # Defence in depth: even if the parent cannot kill this worker (it died, or is
        # stuck), the kernel ends it a little after the query's own time limit.
        ceiling = request.get("deadline")
        if ceiling:
            signal.setitimer(signal.ITIMER_REAL, float(ceiling))
        try:
            reply = _evaluate(store, request, union_options)
        except Exception as exc:  # never let one query end the worker
            reply = ("error", 500, f"the query could not be evaluated ({type(exc).__name__})")
        finally:
            if ceiling:
                signal.setitimer(signal.ITIMER_REAL, 0)
        try:
            conn.send(reply)
        except (OSError, ValueError):
            return


class _Worker:
    """One worker: ``python -m policykg.api.sandbox --worker FD …`` joined by a socket pair.

    A plain subprocess (rather than multiprocessing's spawn) never re-imports the
    embedding program's ``__main__``, so the pool works from any script or server.
    """

    _ids = itertools.count(1)

    def __init__(self, args):
        self.id = next(self._ids)
        parent, child = socket.socketpair()
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "policykg.api.sandbox", "--worker", str(child.fileno()),
                 *[str(a) for a in args]],
                pass_fds=(child.fileno(),), stdin=subprocess.DEVNULL, close_fds=True,
            )
        finally:
            child.close()
        self.conn = Connection(parent.detach())

    def wait_ready(self, timeout: float) -> bool:
        try:
            if not self.conn.poll(timeout):
                return False
            message = self.conn.recv()
        except (EOFError, OSError):
            return False
        if message[0] != "ready":
            log.error("query worker %s could not open the data: %s", self.id, message[1])
            return False
        return True

    def kill(self) -> None:
        try:
            self.process.kill()
            self.process.wait(10)
        except Exception:  # pragma: no cover - already gone
            pass
        try:
            self.conn.close()
        except OSError:
            pass


class QueryPool:
    """A fixed number of reusable worker processes evaluating user queries."""

    START_TIMEOUT = 600.0   # seconds a worker may take to load the data

    def __init__(self, source, base: str, include_background: bool, size: int = 2):
        self._args = (source.kind, source.path, base, include_background)
        self._idle: list[_Worker] = []          # guarded by _lock
        self._waiters: collections.deque = collections.deque()   # (Event, slot) in arrival order
        self._lock = threading.Lock()
        self._live: set[_Worker] = set()
        self._closed = False
        self._starting = 0
        self._ready_event = threading.Event()
        self.size = max(1, int(size))
        self.timeouts = 0
        self.crashes = 0
        for _ in range(self.size):
            self._spawn()

    @classmethod
    def for_state(cls, state) -> "QueryPool":
        store = state.store
        return cls(store.source, state.config.base, state.config.include_background,
                   size=state.config.query_workers)

    # -- life cycle ---------------------------------------------------------
    def _spawn(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._starting += 1
        threading.Thread(target=self._start_one, name="policykg-worker-starter", daemon=True).start()

    def _start_one(self) -> None:
        worker = None
        try:
            for attempt in range(3):
                worker = _Worker(self._args)
                if worker.wait_ready(self.START_TIMEOUT):
                    break
                worker.kill()
                worker = None
                time.sleep(0.5 * (attempt + 1))
        finally:
            with self._lock:
                self._starting -= 1
                if worker is not None and not self._closed:
                    self._live.add(worker)
                    self._release_locked(worker)
                    self._ready_event.set()
                elif worker is not None:
                    worker.kill()

    def _retire(self, worker: _Worker) -> None:
        worker.kill()
        with self._lock:
            self._live.discard(worker)
        self._spawn()

    def wait_ready(self, timeout: float | None = None) -> bool:
        """Wait until every worker has loaded the data (or ``timeout`` passed)."""
        deadline = time.monotonic() + (self.START_TIMEOUT if timeout is None else timeout)
        while time.monotonic() < deadline:
            with self._lock:
                if len(self._live) >= self.size or (self._starting == 0 and self._live):
                    return True
                if self._starting == 0 and not self._live:
                    return False
            time.sleep(0.05)
        return False

    def close(self) -> None:
        with self._lock:
            self._closed = True
            workers = list(self._live)
            self._live.clear()
        for worker in workers:
            worker.kill()

    def recycle(self, source=None) -> None:
        """Replace every worker (after the data changed), optionally with a new source."""
        if source is not None:
            self._args = (source.kind, source.path) + self._args[2:]
        with self._lock:
            workers = list(self._live)
        for worker in workers:
            self._retire(worker)

    @property
    def live(self) -> int:
        with self._lock:
            return len(self._live)

    # -- fair hand-off: the longest-waiting request gets the next free worker ----
    def _acquire(self, timeout: float) -> _Worker:
        with self._lock:
            if self._idle:
                return self._idle.pop()
            event, slot = threading.Event(), []
            waiter = (event, slot)
            self._waiters.append(waiter)
        if event.wait(timeout):
            return slot[0]
        with self._lock:
            if slot:                      # handed over just as the wait ended
                return slot[0]
            self._waiters.remove(waiter)
        raise queue.Empty

    def _release(self, worker: _Worker) -> None:
        with self._lock:
            self._release_locked(worker)

    def _release_locked(self, worker: _Worker) -> None:
        if self._waiters:
            event, slot = self._waiters.popleft()
            slot.append(worker)
            event.set()
        else:
            self._idle.append(worker)

    # -- evaluation ---------------------------------------------------------
    def run(self, request: dict, timeout: float, _retry: bool = False) -> tuple[str, bytes]:
        """Evaluate ``request`` in a worker; return (media type, body) or raise QueryRefused."""
        try:
            worker = self._acquire(timeout)
        except queue.Empty:
            raise QueryRefused(503, f"all query workers are busy; try again in a moment "
                                    f"(waited {timeout:g} s)") from None
        with self._lock:
            alive = worker in self._live
        if not alive:  # retired while idle (recycle); try another
            return self.run(request, timeout, _retry)
        try:
            if worker.process.poll() is not None:
                raise OSError("the worker has exited")
            worker.conn.send(dict(request, deadline=timeout + 5.0))
        except (OSError, BrokenPipeError, ValueError):
            # it died while idle (killed from outside, out of memory): replace it, try another
            self.crashes += 1
            self._retire(worker)
            if _retry:
                raise QueryRefused(503, "no query worker is available; try again in a moment") from None
            return self.run(request, timeout, _retry=True)
        try:
            if worker.conn.poll(timeout):
                reply = worker.conn.recv()
            else:
                self.timeouts += 1
                self._retire(worker)
                raise QueryRefused(503, f"the query was stopped after the time limit of {timeout:g} s")
        except (EOFError, OSError):
            self.crashes += 1
            self._retire(worker)
            raise QueryRefused(500, "the query ended its worker process abnormally; "
                                    "the worker was replaced") from None
        self._release(worker)
        if reply[0] == "ok":
            return reply[1], reply[2]
        raise QueryRefused(reply[1], reply[2])


def _worker_entry(argv: list[str]) -> int:
    """``python -m policykg.api.sandbox --worker FD KIND PATH BASE INCLUDE_BACKGROUND``."""
    fd, kind, path, base, include_background = argv
    conn = Connection(int(fd))
    _worker_main(conn, kind, path, base, include_background == "True")
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 7 and sys.argv[1] == "--worker":
        sys.exit(_worker_entry(sys.argv[2:]))
    sys.exit("usage: python -m policykg.api.sandbox --worker FD KIND PATH BASE INCLUDE_BACKGROUND")
