"""Values bound into the service's own queries before they go to a SPARQL server: what
pyoxigraph's ``substitutions`` do in the embedded store, written as standard SPARQL text.

Two things are written, and both are needed:

* a ``VALUES`` row joined first in the WHERE group, so every bound variable keeps its value
  wherever the group's solutions carry it: the projection, GROUP BY, expressions;
* each IRI written again as a constant where the variable stands as a term of a pattern of the
  group (triple patterns, paths' ends, also inside EXISTS). Servers start a pattern from its
  constants, not from a ``VALUES`` row: at 6.2M quads, ``norms?bearer=…`` over Oxigraph's server
  walked ``?b ^(rdfs:subClassOf|rdf:type)* ?bearer`` from every instance of every class (no answer
  within 60 s) and answered in 0.08 s with the bearer written in the path (bench/RESULTS.md, city).

Where a variable is left to the VALUES row alone is :func:`term_positions`'s to say. Literals are
bound by the VALUES row alone: strings need their datatype written out for Virtuoso
(:func:`written`), and no planner needs them as constants.
"""
from __future__ import annotations

import functools
import re
from typing import Mapping

import pyoxigraph as ox

from policykg.store.backend import to_term
from policykg.store.guard import _OPAQUE, _PN_LOCAL, _PN_PREFIX, _TOKEN, _VARIABLE

_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


def written(term) -> str:
    """``term`` in N-Triples syntax; a simple literal with its datatype written out. The same term
    (RDF 1.1), but Virtuoso 7.2.5 keeps a simple literal of the query text as a narrow string whose
    STR() is "?" for each character outside ASCII (so CONTAINS(?text, STR(?q)) found nothing)."""
    if isinstance(term, ox.Literal) and not term.language and term.datatype.value == _XSD_STRING:
        return f"{term}^^<{_XSD_STRING}>"
    return str(term)


def bind_values(query: str, bindings: Mapping) -> str:
    """``query`` with ``bindings`` joined first in its WHERE group (``VALUES (?a ?b) { (… …) }``)
    and each bound IRI written in place of its variable in the group's terms (module docstring).
    Each value is written as an RDF term (N-Triples syntax), never pasted text."""
    terms: dict[str, ox.NamedNode | ox.Literal] = {}
    for name, value in bindings.items():
        term = to_term(value)
        if isinstance(term, ox.BlankNode):
            raise TypeError("a blank node cannot be bound in a query to a SPARQL server")
        terms[name.lstrip("?$")] = term
    values = (f" VALUES ({' '.join('?' + name for name in terms)}) "
              f"{{ ({' '.join(written(term) for term in terms.values())}) }} ")
    start, end = where_group(query)
    constants = {name: str(term) for name, term in terms.items() if isinstance(term, ox.NamedNode)}
    group = with_constants(query[start:end], constants) if constants else query[start:end]
    return query[:start] + values + group + query[end:]


# The texts bound here are the service's own (named questions, the resolver's): a few dozen, each
# bound on every request, so where their groups and terms are is worked out once per text.
@functools.lru_cache(maxsize=256)
def where_group(query: str) -> tuple[int, int]:
    """Where the inside of ``query``'s WHERE group starts and ends (after its ``{``, at its ``}``).
    A query's prologue holds no group, so it is the first top-level group after the form, but for
    a CONSTRUCT's template (WHERE is optional after it)."""
    depth = 0
    templates = 0     # top-level groups still to pass before the WHERE group
    start = None
    for match in _TOKEN.finditer(query):
        word, opening, closing = match.group("word"), match.group("open"), match.group("close")
        if word and depth == 0 and word.upper() == "CONSTRUCT":
            templates = 1
        elif word and depth == 0 and word.upper() == "WHERE":
            templates = 0
        elif opening:
            if opening == "{" and depth == 0 and start is None:
                if templates:
                    templates -= 1
                else:
                    start = match.end("open")
            depth += 1
        elif closing:
            depth -= 1
            if depth == 0 and start is not None:
                return start, match.start("close")
    raise ValueError("no WHERE group to bind values in")


# The tokens of a group that matter here: variables, words, brackets; comments, strings, IRIs and
# prefixed names are passed over whole (a "?" or a brace inside them is not one).
_TERM_TOKEN = re.compile(rf"""
    (?P<var>{_VARIABLE})
  | (?P<opaque>{_OPAQUE} | (?:{_PN_PREFIX})?:{_PN_LOCAL})
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<open>[{{(\[])
  | (?P<close>[}})\]])
""", re.X | re.S)
# After these words, the next group is one whose variables keep their own meaning.
_OWN_SCOPE = frozenset({"MINUS", "VALUES"})


def with_constants(group: str, constants: Mapping[str, str]) -> str:
    """``group`` (a WHERE group's inside) with each variable of ``constants`` written as its IRI
    where it stands as a term of a pattern (:func:`term_positions`)."""
    pieces = []
    at = 0
    for start, end, name in term_positions(group, frozenset(constants)):
        pieces += (group[at:start], constants[name])
        at = end
    pieces.append(group[at:])
    return "".join(pieces)


@functools.lru_cache(maxsize=256)
def term_positions(group: str, names: frozenset[str]) -> tuple[tuple[int, int, str], ...]:
    """Where in ``group`` (a WHERE group's inside) a variable of ``names`` stands as a term of a
    pattern: (start, end, name). That is where the innermost bracket is a group's ``{`` or a blank
    node's ``[``, outside a sub-SELECT, a MINUS and a VALUES block. In parentheses (an expression,
    ``BIND(… AS ?x)``, ``BOUND(?x)``, a VALUES header, a list) it is left to the VALUES row: no
    planner needs it there, and Virtuoso 7.2.5 lost an OPTIONAL's rows from a FILTER that compared a
    variable with the constant."""
    positions = []
    brackets = []          # the open brackets, innermost last
    skip_below = None      # the depth at which a skipped group (sub-SELECT, MINUS, VALUES) ends
    pending_skip = False   # MINUS or VALUES seen: skip up to the end of the group that follows
    for match in _TERM_TOKEN.finditer(group):
        kind = match.lastgroup
        if kind == "open":
            if match.group(kind) == "{" and pending_skip and skip_below is None:
                skip_below = len(brackets)
                pending_skip = False
            brackets.append(match.group(kind))
        elif kind == "close":
            brackets.pop()
            if skip_below is not None and len(brackets) == skip_below:
                skip_below = None
        elif kind == "word" and skip_below is None:
            word = match.group(kind).upper()
            if word == "SELECT":
                skip_below = len(brackets) - 1     # a sub-SELECT: up to the end of the group it opens
            elif word in _OWN_SCOPE:
                pending_skip = True
        elif (kind == "var" and match.group(kind)[1:] in names and skip_below is None
              and not pending_skip and (not brackets or brackets[-1] != "(")):
            positions.append((match.start(), match.end(), match.group(kind)[1:]))
    return tuple(positions)
