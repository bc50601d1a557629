"""Reading an untrusted SPARQL query before it is evaluated: a lexer and the limits.

:func:`inspect_query` reads the query once with a small SPARQL *lexer* (strings, IRIs,
comments and prefixed names are whole tokens, so a keyword inside a literal or an IRI
never counts). It finds the query form, refuses updates, ``SERVICE`` (pyoxigraph would
open an HTTP connection) and ``LOAD``, notes dataset clauses, and measures the bracket
nesting depth *before* pyoxigraph's recursive parser sees the text (thousands of nested
braces overflow its stack and abort the process). :func:`check_query` applies the
limits and raises :class:`~policykg.store.errors.QueryRefused`.

Evaluation under the time limit is :mod:`policykg.store.evaluation` (on threads) or
:mod:`policykg.store.isolation` (in evaluation processes, so that an engine crash costs one query).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from policykg.ontology.namespaces import PREFIXES
from policykg.store.errors import QueryRefused, limit_reached


# ---------------------------------------------------------------------------
# 1. Inspection
# ---------------------------------------------------------------------------

# Tokens that may contain brackets, keywords or colons as plain text: comments, strings,
# IRIs, variables. With prefixed names they are what the inspection skips (and what the
# prefix check of a syntax error skips, below), so each is written once here.
_VARIABLE = r"[?$][A-Za-z0-9_\u00B7\u00C0-\uFFFF]+"
_OPAQUE = r"""
    \#[^\n\r]*
  | '''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
  | '(?:[^'\\\n\r]|\\.)*'|"(?:[^"\\\n\r]|\\.)*"
  | <[^<>"{}|^`\\\x00-\x20]*>
  | """ + _VARIABLE + "\n"
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
# whose evaluation recurses: tens of thousands overflow pyoxigraph's stack in the worker
# (the setting max_operators bounds them).
_OPERATOR_WORDS = frozenset({"UNION", "MINUS", "OPTIONAL"})
UPDATE_KEYWORDS = {"INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH"}
# The words of SPARQL 1.1 queries (keywords and built-in functions, upper-cased as inspect_query notes
# them), "_" of blank node labels and the "e" of a decimal's exponent. A query whose words are all here
# holds none of a server's own syntax (Virtuoso's DEFINE, OPTION (TRANSITIVE …), MODIFY …): see early_form.
STANDARD_WORDS = frozenset("""
    BASE PREFIX SELECT CONSTRUCT DESCRIBE ASK DISTINCT REDUCED AS FROM NAMED WHERE GROUP BY HAVING ORDER ASC
    DESC LIMIT OFFSET VALUES UNDEF OPTIONAL GRAPH BIND MINUS FILTER UNION NOT IN EXISTS A TRUE FALSE
    STR LANG LANGMATCHES DATATYPE BOUND IRI URI BNODE RAND ABS CEIL FLOOR ROUND CONCAT STRLEN UCASE LCASE
    ENCODE_FOR_URI CONTAINS STRSTARTS STRENDS STRBEFORE STRAFTER YEAR MONTH DAY HOURS MINUTES SECONDS TIMEZONE
    TZ NOW UUID STRUUID MD5 SHA1 SHA256 SHA384 SHA512 COALESCE IF STRLANG STRDT SAMETERM ISIRI ISURI ISBLANK
    ISLITERAL ISNUMERIC REGEX SUBSTR REPLACE COUNT SUM MIN MAX AVG SAMPLE GROUP_CONCAT SEPARATOR _ E
""".split())
_EXPONENT = re.compile(r"E[0-9]+")


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


def early_form(info: QueryInfo) -> str | None:
    """The form the lexer found (``info``: inspect_query's), when every word of the query is standard
    SPARQL 1.1 (:data:`STANDARD_WORDS`), else None. A remote store may send such a query to its server
    before pyoxigraph has parsed it (policykg.store.remote.RemoteStore.answer): whatever pyoxigraph then
    says of it, no syntax of the server's own reached the server."""
    for word in info.keywords:
        if word not in STANDARD_WORDS and not _EXPONENT.fullmatch(word):
            return None
    return info.form


# ---------------------------------------------------------------------------
# 2. Syntax errors people can read
# ---------------------------------------------------------------------------

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
    return PREFIXES.get(prefix)


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


# ---------------------------------------------------------------------------
# 3. The limits
# ---------------------------------------------------------------------------

# The operator limit when the setting is left at -1. The embedded store parses a long chain on a
# helper's big stack; Oxigraph's server 0.5.13 has no such guard of its own and its process dies on a
# chain of 1,800 operators (1,600 answered; docs/operations.md, Engine quirks), so over any SPARQL server
# the service keeps well under it: one request must not stop a server others share.
EMBEDDED_MAX_OPERATORS = 2000
REMOTE_MAX_OPERATORS = 1000


def max_operators(config) -> int:
    """The operator limit of user queries and updates under ``config`` (see the setting)."""
    if int(config.max_operators) >= 0:
        return int(config.max_operators)
    return REMOTE_MAX_OPERATORS if getattr(config, "store_url", "") else EMBEDDED_MAX_OPERATORS


def check_query(text: str, max_length: int, max_nesting: int, max_operators: int, update: bool = False) -> QueryInfo:
    """Refuse what must never reach pyoxigraph: too long, too deep, too complex, SERVICE,
    LOAD, and (unless ``update``) an update sent as a query. Returns what the lexer found.
    A limit's refusal names the setting that raises it."""
    what = "update" if update else "query"
    if len(text) > max_length:
        raise limit_reached("too_long", f"the {what} is {len(text)} characters long; the limit is {max_length}",
                            "max_query_length")
    info = inspect_query(text, max_depth=max_nesting)
    if info.too_deep:
        raise limit_reached("too_deep", f"the {what} is too complex: it nests brackets more than {max_nesting} "
                                        "levels deep", "max_nesting")
    if info.operators > max_operators:
        raise limit_reached("too_complex", f"the {what} is too complex: {info.operators} operators, groups and "
                                           f"UNION/MINUS/OPTIONAL (the limit is {max_operators})", "max_operators")
    if info.is_update and not update:
        raise QueryRefused("not_a_query", f"this is a SPARQL update ({info.update_keyword}), not a query; "
                                          "/sparql is read-only")
    if info.uses_service:
        raise QueryRefused("service", "SERVICE is not allowed: this endpoint never contacts other services")
    if info.uses_load:
        raise QueryRefused("load", "LOAD is not allowed: this endpoint never fetches data")
    return info
