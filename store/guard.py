"""Evaluating untrusted SPARQL: inspection before parsing, and evaluation under a time limit.

Two defences, in order:

1. :func:`inspect_query` reads the query once with a small SPARQL *lexer* (strings,
   IRIs, comments and prefixed names are whole tokens, so a keyword inside a literal or
   an IRI never counts). It finds the query form, refuses updates, ``SERVICE`` (pyoxigraph
   would open an HTTP connection) and ``LOAD``, notes dataset clauses, and measures the
   bracket nesting depth *before* pyoxigraph's recursive parser sees the text (thousands
   of nested braces overflow its stack and abort the process).

2. :class:`Evaluator` runs the query on a helper thread of the server process, with a
   large stack, and waits at most the time limit. A query that runs over is answered
   with 503 and its server process is replaced by the supervisor (the only way to stop
   work inside pyoxigraph), while the other server processes keep answering.
"""
from __future__ import annotations

import queue
import re
import threading
import time
from dataclasses import dataclass, field


# ---------------------------------------------------------------------------
# 1. Inspection
# ---------------------------------------------------------------------------

# Tokens that may contain brackets, keywords or colons as plain text: comments, strings,
# IRIs, variables. With prefixed names they are what the inspection skips (and what the
# prefix check of a syntax error skips, below), so each is written once here.
_OPAQUE = r"""
    \#[^\n\r]*
  | '''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
  | '(?:[^'\\\n\r]|\\.)*'|"(?:[^"\\\n\r]|\\.)*"
  | <[^<>"{}|^`\\\x00-\x20]*>
  | [?$][A-Za-z0-9_\u00B7\u00C0-\uFFFF]+
"""
_PN_PREFIX = r"[A-Za-z\u00C0-\uFFFF][\w.\-\u00B7\u00C0-\uFFFF]*"
_PN_LOCAL = r"(?:[\w\-.:%\\\u00B7\u00C0-\uFFFF]*[\w\-:%\u00B7\u00C0-\uFFFF])?"
# Whitespace, the opaque tokens and prefixed names: none of them matters to the inspection,
# so the pattern consumes them (possessively: no re-splitting) in front of each token that
# does. Alternatives are tried left to right at each position.
_SKIPPED = rf"\s+ | {_OPAQUE} | (?:{_PN_PREFIX})?:{_PN_LOCAL}"
# findall gives (word, open, close, operator) per significant token; all four are empty
# for any other character (".", ";", ",", digits…) and at the end of the text.
_TOKEN = re.compile(
    rf"""
    (?:{_SKIPPED})*+
    (?:
        (?P<word>[A-Za-z_][A-Za-z0-9_]*)
      | (?P<open>[{{(\[])
      | (?P<close>[}})\]])
      | (?P<operator>[+\-*/|&=<>!^])
      | .
      | \Z     # skipped tokens up to the end: without this the search would restart inside them
    )
    """,
    re.VERBOSE | re.DOTALL,
)

QUERY_FORMS = {"SELECT", "CONSTRUCT", "ASK", "DESCRIBE"}
# Long chains of these build deep expression or algebra trees (1+1+…, {…} UNION {…} …)
# whose evaluation recurses: tens of thousands overflow pyoxigraph's stack in the worker.
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
    for word, opening, closing, operator in _TOKEN.findall(text):
        if opening:
            if opening == "{":
                info.operators += 1
            depth += 1
            if depth > info.depth:
                info.depth = depth
                if max_depth is not None and depth > max_depth:
                    info.too_deep = True
                    return info
        elif closing:
            depth -= 1
        elif word:
            word = word.upper()
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
        elif operator:
            info.operators += 1
    return info


# ---------------------------------------------------------------------------
# 2. Evaluation under the time limit
# ---------------------------------------------------------------------------

class QueryRefused(Exception):
    """The query cannot be answered; ``status`` is the HTTP status to use, ``code`` the
    error code of the JSON envelope when it says more than the status (``timeout``)."""

    def __init__(self, status: int, message: str, code: str | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code

    @property
    def headers(self) -> dict[str, str]:
        """Response headers it calls for: a 503 (over the time limit) says when to try again."""
        return {"Retry-After": "1"} if self.status == 503 else {}


_POSITION = re.compile(r"^error at (\d+):(\d+): ?")
# pyoxigraph lists what it expected, character classes included ("['A' ..= 'Z' | …]"):
# tens of lines that tell a person nothing. Its real reasons ("Prefix not found", "IRI
# parsing failed") are sentences among the items.
_CHAR_CLASS = re.compile(r"\[(?:[^\[\]'\"]|'[^']*'|\"[^\"]*\")*\]", re.S)
_REASON = re.compile(r"^[A-Z][A-Za-z]*(?: [A-Za-z]+){2,}$")

# For "the prefix is not declared": the opaque tokens first, so a colon inside them is not
# taken for a prefixed name.
_PREFIX_SCAN = re.compile(rf"""
    {_OPAQUE}
  | PREFIX\s+(?P<declared>{_PN_PREFIX}|)\s*:
  | (?<![\w.-])(?P<used>{_PN_PREFIX}|):{_PN_LOCAL}
""", re.X | re.S | re.I)


def undeclared_prefix(text: str) -> tuple[str, str, int, int] | None:
    """(prefix, prefixed name, line, column) of the first prefixed name whose prefix the
    text does not declare, or None."""
    declared, used = set(), []
    for match in _PREFIX_SCAN.finditer(text):
        if match.group("declared") is not None:
            declared.add(match.group("declared"))
        elif match.group("used") is not None:
            used.append(match)
    for match in used:
        if match.group("used") not in declared:
            line = text.count("\n", 0, match.start()) + 1
            column = match.start() - (text.rfind("\n", 0, match.start()) + 1) + 1
            return match.group("used"), match.group(0), line, column
    return None


def _known_namespace(prefix: str) -> str | None:
    from policykg.ontology.namespaces import PREFIXES   # only on this error path

    return dict(PREFIXES).get(prefix)


def describe_syntax_error(exc: SyntaxError, text: str | None = None) -> str:
    """pyoxigraph's "error at 4:2: expected …" as "syntax error at line 4, column 2: expected …",
    without its character classes; an undeclared prefix in ``text`` is named, with the
    declaration to add when the service knows the namespace."""
    message = str(exc)
    match = _POSITION.match(message)
    where, detail = (f"line {match.group(1)}, column {match.group(2)}", message[match.end():]) if match \
        else (None, message)
    missing = undeclared_prefix(text) if text is not None else None
    if missing is not None:
        prefix, name, line, column = missing
        namespace = _known_namespace(prefix)
        advice = f"add PREFIX {prefix}: <{namespace}>" if namespace else f"declare it with PREFIX {prefix}: <…>"
        return (f"syntax error at line {line}, column {column}: the prefix '{prefix}:' of {name} is not "
                f"declared; {advice}")
    if detail.startswith("expected "):
        items = [item.strip() for item in _CHAR_CLASS.sub("", detail[len("expected "):]).removeprefix(
            "one of ").split(", ")]
        reasons = [item for item in items if _REASON.match(item)]
        tokens = [item for item in items if item and not _REASON.match(item)]
        if reasons:
            detail = "; ".join(reason[0].lower() + reason[1:] if reason[1:2].islower() else reason
                               for reason in reasons)
        elif tokens:
            detail = "expected " + (tokens[0] if len(tokens) == 1 else "one of " + ", ".join(tokens))
        else:
            detail = "unexpected character"
    return f"syntax error at {where}: {detail}" if where else f"syntax error: {detail}"


class Evaluator:
    """Evaluates user queries in this process, on helper threads, under the time limit.

    pyoxigraph releases the GIL while it evaluates and serialises, so the request thread
    can wait for a helper with a timeout and answer 503 on time. The runaway evaluation
    itself cannot be interrupted inside a process, so ``on_timeout`` is called: under
    ``policykg serve`` it asks the supervisor to replace this server process, which it
    does gracefully (a fresh process first, then this one is stopped once its other
    requests are answered), and the work really stops. See :mod:`policykg.api.server`.
    """

    # Deep algebra trees recurse in pyoxigraph: give helpers a stack far beyond what the
    # lexer's nesting and operator limits allow (the main thread's 8 MB overflowed at ~5,000).
    STACK_BYTES = 256 << 20

    def __init__(self, store, threads: int = 4, on_timeout=None):
        self._store = store          # a policykg.api.store.Store: its answer() does the work
        self._jobs: "queue.SimpleQueue" = queue.SimpleQueue()
        self._on_timeout = on_timeout
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
            request, slot, done = self._jobs.get()
            store = self._store
            self._started[slot_index] = time.monotonic()
            try:
                slot.append(store.answer(request))
            except QueryRefused as exc:
                slot.append(exc)
            except Exception as exc:  # never let one query end the helper
                slot.append(QueryRefused(500, f"the query could not be evaluated ({type(exc).__name__})"))
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

    def run(self, request: dict, timeout: float) -> tuple[str, bytes]:
        """Evaluate ``request``; return (media type, body) or raise QueryRefused."""
        slot: list = []
        done = threading.Lock()     # released by the helper when the answer is in ``slot``
        done.acquire()
        self._jobs.put((request, slot, done))
        if not done.acquire(timeout=timeout):
            if self._on_timeout is not None:
                self._on_timeout()
            raise QueryRefused(503, f"the query was stopped after the time limit of {timeout:g} s", "timeout")
        reply = slot[0]
        if isinstance(reply, QueryRefused):
            raise reply
        return reply
