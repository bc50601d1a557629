"""Which variables of a SELECT query can only hold booleans, read from the query's text.

Virtuoso 7.2.5 answers every boolean value (``true``, ``EXISTS {…}``, ``?a = ?b``, ``VALUES ?x { true }``
…) as the integer ``1`` or ``0``. Its answer alone cannot tell such a ``1`` from a real integer, so the
remote store turns ``1``/``0`` back into ``true``/``false`` only for a variable that this module proves
boolean: **every** place in the query that can give it a value (a ``BIND``/``SELECT`` expression's
``AS ?v``, a ``VALUES`` column, a triple pattern, ``GRAPH ?v``, a collection …) gives a boolean. Places
are collected over the whole text, whatever their scope (an inner query's variable of the same name
counts too), so the answer can only err towards "not proven": a value is never relabelled on a guess.

Expressions are typed by their outermost operator, as SPARQL's grammar builds them: ``||``, ``&&``,
comparisons and ``IN`` give booleans; ``!``, ``EXISTS``, ``NOT EXISTS``, the boolean functions
(``BOUND``, ``isIRI``, ``CONTAINS``, ``REGEX`` …), ``true``/``false`` and ``xsd:boolean(…)`` too;
``IF``/``COALESCE`` when each value they can give is boolean; ``MIN``/``MAX``/``SAMPLE`` of a boolean
variable; a variable when it is boolean itself. Anything else (arithmetic, other functions, an IRI,
a number …) is not boolean.
"""
from __future__ import annotations

import functools
import re

XSD_BOOLEAN = "http://www.w3.org/2001/XMLSchema#boolean"

_TOKENS = re.compile(r"""
    (?P<space>\s+|\#[^\n\r]*)
  | (?P<string>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
               |'(?:[^'\\\n\r]|\\.)*'|"(?:[^"\\\n\r]|\\.)*")
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<var>[?$][A-Za-z0-9_\u00B7\u00C0-\uFFFF]+)
  | (?P<lang>@[A-Za-z]+(?:-[A-Za-z0-9]+)*)
  | (?P<pname>(?:[A-Za-z\u00C0-\uFFFF][\w.\-\u00B7\u00C0-\uFFFF]*)?:(?:[\w\-.:%\\\u00B7\u00C0-\uFFFF]*[\w\-:%\u00B7\u00C0-\uFFFF])?
             |_:[\w\-.\u00B7\u00C0-\uFFFF]*)
  | (?P<number>[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?|\.[0-9]+(?:[eE][+-]?[0-9]+)?)
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>\|\||&&|!=|<=|>=|\^\^|[=<>!+\-*/,;.^|])
  | (?P<open>[({\[])
  | (?P<close>[)}\]])
  | (?P<other>.)
""", re.X | re.S)

_RELATIONAL = {"=", "!=", "<", ">", "<=", ">="}
_ARITHMETIC = {"+", "-", "*", "/"}
_BOOLEAN_FUNCTIONS = {"BOUND", "ISIRI", "ISURI", "ISBLANK", "ISLITERAL", "ISNUMERIC", "ISTRIPLE", "SAMETERM",
                      "CONTAINS", "STRSTARTS", "STRENDS", "REGEX", "LANGMATCHES"}
_SAME_VALUE_AGGREGATES = {"MIN", "MAX", "SAMPLE"}
# Braces whose variables never give a value outside them.
_CLOSED_GROUPS = {"EXISTS", "MINUS"}
# The words before a "(" that does not open an expression: a VALUES block's variables, an RDF collection
# after rdf:type's "a" (any other word before "(" is a function, FILTER, BIND, IN, BY …).
_NOT_EXPRESSION = {"VALUES", "A"}


class _Token(tuple):
    __slots__ = ()
    kind = property(lambda self: self[0])
    text = property(lambda self: self[1])

    @property
    def upper(self) -> str:
        return self[1].upper()


def _tokens(text: str) -> list[_Token]:
    return [_Token((m.lastgroup, m.group())) for m in _TOKENS.finditer(text) if m.lastgroup != "space"]


# The words that can give a variable a boolean (``… AS ?v``, ``VALUES``), wherever the tokens above could
# read them as a word: a query without one proves nothing, which this finds without tokenizing it.
_GIVING_WORD = re.compile(r"(?<![A-Za-z_])(?:AS|VALUES)(?![A-Za-z0-9_])", re.I | re.A)


@functools.lru_cache(maxsize=256)
def boolean_variables(query: str) -> frozenset[str]:
    """The names (without ``?``) of the variables of ``query`` that can only hold booleans."""
    if not _GIVING_WORD.search(query):
        return frozenset()
    tokens = _tokens(query)
    sites = _Sites(tokens)
    sites.read()
    return frozenset(name for name in sites.places if sites.is_boolean_variable(name, set()))


class _Sites:
    """Every place of a query's text that gives a variable a value, with what it gives: an expression
    (its tokens), ``True`` (a boolean for sure: a VALUES column of booleans) or ``False`` (anything)."""

    def __init__(self, tokens: list[_Token]):
        self.tokens = tokens
        self.places: dict[str, list] = {}
        self.prefixes: dict[str, str] = {}

    def add(self, name: str, what) -> None:
        self.places.setdefault(name, []).append(what)

    # -- reading -------------------------------------------------------------------------------------
    def read(self) -> None:
        tokens = self.tokens
        # The open brackets around a token: (bracket, kind) with kind one of "group" (a graph pattern),
        # "closed" (EXISTS/MINUS: gives nothing outside), "expression", "other" (collections, blank node
        # property lists, templates: triples).
        stack: list[str] = []
        modifier = False       # after ORDER BY / GROUP BY: plain variables are read, not given values
        projection = False     # between SELECT and its WHERE group: the projection
        i = 0
        while i < len(tokens):
            kind, text = tokens[i]
            upper = text.upper()
            if kind == "word" and upper == "PREFIX" and i + 2 < len(tokens) and tokens[i + 1].kind == "pname" \
                    and tokens[i + 2].kind == "iri":
                self.prefixes[tokens[i + 1].text[:-1]] = tokens[i + 2].text[1:-1]
                i += 3
                continue
            if kind == "word" and upper == "VALUES":
                i = self._values(i + 1)
                continue
            if kind == "word":
                if upper == "SELECT":
                    projection = True
                elif upper in ("WHERE", "FROM"):
                    projection = False
                elif upper == "BY":
                    modifier = True
                elif upper in ("LIMIT", "OFFSET", "HAVING"):
                    modifier = False
            elif kind == "open":
                stack.append(self._opened(i, stack, projection))
                if text == "{":
                    projection = modifier = False
            elif kind == "close":
                if stack:
                    stack.pop()
                if text == "}":
                    modifier = False
            elif kind == "var":
                self._variable(i, stack, projection or modifier)
            i += 1

    def _opened(self, i: int, stack: list[str], projection: bool) -> str:
        text = self.tokens[i].text
        before = self.tokens[i - 1] if i else _Token(("space", ""))
        inside = stack[-1] if stack else "group"
        if inside == "closed":
            return "closed"
        if text == "{":
            if before.kind == "word" and before.upper in _CLOSED_GROUPS:
                return "closed"
            return "group"
        if text == "(":
            if inside == "expression" or projection:
                return "expression"
            if before.kind == "word" and before.upper not in _NOT_EXPRESSION:
                return "expression"     # FILTER(, BIND(, a function's arguments, ORDER BY ASC(
            if before.kind in ("pname", "iri") and self._is_call(i):
                return "expression"     # a function named by an IRI: FILTER <f>(…), ORDER BY <f>(…)
            return "other"              # an RDF collection (its members are a triple's terms), a VALUES row
        return "expression" if inside == "expression" else "other"

    def _is_call(self, i: int) -> bool:
        """Whether the IRI before the "(" at ``i`` is a function called in an expression (FILTER
        <f>(…) or a HAVING / ORDER BY condition) rather than a triple's predicate before a collection."""
        before = self.tokens[i - 2] if i >= 2 else None
        return before is not None and before.kind == "word" and before.upper in ("FILTER", "HAVING", "BY")

    def _variable(self, i: int, stack: list[str], read_only: bool) -> None:
        tokens = self.tokens
        name = tokens[i].text[1:]
        if "closed" in stack:
            return
        if i and tokens[i - 1].kind == "word" and tokens[i - 1].upper == "AS":
            self.add(name, self._expression_before(i - 1))
            return
        if "expression" in stack or read_only:
            return                 # read (a FILTER, an argument, the projection, ORDER BY), not given a value
        self.add(name, False)      # a triple pattern, GRAPH ?v, a collection …: any term

    def _expression_before(self, as_index: int) -> list[_Token]:
        """The tokens of the expression before ``AS`` (back to the "(" that holds it)."""
        depth = 0
        j = as_index - 1
        while j >= 0:
            kind, text = self.tokens[j]
            if kind == "close":
                depth += 1
            elif kind == "open":
                if depth == 0:
                    return self.tokens[j + 1:as_index]
                depth -= 1
            j -= 1
        return []

    def _values(self, i: int) -> int:
        """Read a VALUES block starting at token ``i`` (after the word); the index after it."""
        tokens = self.tokens
        names: list[str] = []
        if i < len(tokens) and tokens[i].kind == "var":
            names, single = [tokens[i].text[1:]], True
            i += 1
        elif i < len(tokens) and tokens[i].text == "(":
            single = False
            i += 1
            while i < len(tokens) and tokens[i].kind == "var":
                names.append(tokens[i].text[1:])
                i += 1
            i += 1   # ")"
        else:
            return i
        if i >= len(tokens) or tokens[i].text != "{":
            for name in names:
                self.add(name, False)
            return i
        i += 1
        booleans = [True] * len(names)
        column = 0
        while i < len(tokens) and tokens[i].text != "}":
            kind, text = tokens[i]
            if text in ("(", ")"):
                column = 0
                i += 1
                continue
            value, i = self._term(i)
            if names and column < len(names):
                if value is not True and value != "UNDEF":
                    booleans[column] = False
            column = column + 1 if not single else 0
        for name, boolean in zip(names, booleans):
            self.add(name, boolean)
        return i + 1

    def _term(self, i: int):
        """One RDF term of a VALUES row at ``i``: (True for a boolean literal, "UNDEF", or None; next index)."""
        tokens = self.tokens
        kind, text = tokens[i]
        if kind == "word":
            upper = text.upper()
            return (True if upper in ("TRUE", "FALSE") else "UNDEF" if upper == "UNDEF" else None), i + 1
        if kind == "string":
            nxt = tokens[i + 1] if i + 1 < len(tokens) else None
            if nxt is not None and nxt.kind == "lang":
                return None, i + 2
            if nxt is not None and nxt.text == "^^" and i + 2 < len(tokens):
                datatype = self._iri(tokens[i + 2])
                lexical = text.strip("'\"")
                boolean = datatype == XSD_BOOLEAN and lexical in ("true", "false", "1", "0")
                return (True if boolean else None), i + 3
            return None, i + 1
        if kind == "op" and text in ("+", "-") and i + 1 < len(tokens):
            return None, i + 2
        return None, i + 1

    def _iri(self, token: _Token) -> str | None:
        if token.kind == "iri":
            return token.text[1:-1]
        if token.kind == "pname" and ":" in token.text:
            prefix, _, local = token.text.partition(":")
            namespace = self.prefixes.get(prefix)
            return None if namespace is None else namespace + local
        return None

    # -- typing --------------------------------------------------------------------------------------
    def is_boolean_variable(self, name: str, seen: set) -> bool:
        places = self.places.get(name)
        if not places or name in seen:
            return False
        seen = seen | {name}
        return all(place is True or (place is not False and self.is_boolean(place, seen)) for place in places)

    def is_boolean(self, expression: list[_Token], seen: set) -> bool:
        """Whether ``expression`` (tokens) can only give a boolean."""
        if not expression:
            return False
        top = _top_level(expression)
        operators = {expression[k].text for k in top if expression[k].kind == "op"}
        words = {expression[k].upper for k in top if expression[k].kind == "word"}
        if operators & {"||", "&&"} or operators & _RELATIONAL or "IN" in words:
            return True
        if operators & _ARITHMETIC:
            return False
        first = expression[0]
        if first.text == "!":
            return True
        if first.kind == "word" and first.upper in ("EXISTS", "NOT"):
            return len(expression) > 1 and (first.upper == "EXISTS" or expression[1].upper == "EXISTS")
        if len(expression) == 1:
            if first.kind == "word":
                return first.upper in ("TRUE", "FALSE")
            if first.kind == "var":
                return self.is_boolean_variable(first.text[1:], seen)
            return False
        if first.kind == "string":
            return len(expression) == 3 and expression[1].text == "^^" and self._iri(expression[2]) == XSD_BOOLEAN \
                and first.text.strip("'\"") in ("true", "false", "1", "0")
        if first.text == "(" and _closing(expression, 0) == len(expression) - 1:
            return self.is_boolean(expression[1:-1], seen)
        if expression[1].text != "(" or _closing(expression, 1) != len(expression) - 1:
            return False
        arguments = _arguments(expression[2:-1])
        if first.kind in ("iri", "pname"):
            return self._iri(first) == XSD_BOOLEAN
        if first.kind != "word":
            return False
        function = first.upper
        if function in _BOOLEAN_FUNCTIONS:
            return True
        if function == "IF":
            return len(arguments) == 3 and all(self.is_boolean(a, seen) for a in arguments[1:])
        if function == "COALESCE":
            return bool(arguments) and all(self.is_boolean(a, seen) for a in arguments)
        if function in _SAME_VALUE_AGGREGATES and len(arguments) == 1:
            argument = arguments[0]
            if argument and argument[0].kind == "word" and argument[0].upper == "DISTINCT":
                argument = argument[1:]
            return self.is_boolean(argument, seen)
        return False


def _top_level(tokens: list[_Token]) -> list[int]:
    """The indexes of the tokens outside any bracket."""
    depth = 0
    top = []
    for k, token in enumerate(tokens):
        if token.kind == "open":
            depth += 1
        elif token.kind == "close":
            depth -= 1
        elif depth == 0:
            top.append(k)
    return top


def _closing(tokens: list[_Token], k: int) -> int:
    """The index of the bracket closing the one at ``k`` (-1 if none)."""
    depth = 0
    for j in range(k, len(tokens)):
        if tokens[j].kind == "open":
            depth += 1
        elif tokens[j].kind == "close":
            depth -= 1
            if depth == 0:
                return j
    return -1


def _arguments(tokens: list[_Token]) -> list[list[_Token]]:
    """A call's arguments: ``tokens`` split at the commas outside brackets."""
    if not tokens:
        return []
    parts, start, depth = [], 0, 0
    for k, token in enumerate(tokens):
        if token.kind == "open":
            depth += 1
        elif token.kind == "close":
            depth -= 1
        elif depth == 0 and token.text == ",":
            parts.append(tokens[start:k])
            start = k + 1
    parts.append(tokens[start:])
    return parts
