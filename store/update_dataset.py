"""The dataset of an update given by protocol parameters (SPARQL 1.1 Protocol §2.2.3).

``using-graph-uri`` and ``using-named-graph-uri`` set the RDF dataset of the update's WHERE clauses, as
``USING`` and ``USING NAMED`` would in its text. pyoxigraph takes no such argument, so
:func:`with_dataset` writes the clauses into the text with the guard's lexer (strings, IRIs and comments
are whole tokens, so a keyword inside them is never touched):

- before the ``WHERE`` of every ``DELETE``/``INSERT`` operation at the top level (a ``WHERE`` inside the
  pattern belongs to a subquery);
- ``DELETE WHERE { P }`` has no place for USING, so it is written out as the form it abbreviates,
  ``DELETE { P } USING … WHERE { P }`` (SPARQL 1.1 Update §3.1.3.3);
- a request whose text already has ``USING``, ``USING NAMED`` or ``WITH`` is refused: the protocol
  requires it (§2.2.3: "MUST be rejected").
"""
from __future__ import annotations

import pyoxigraph as ox

from policykg.store.errors import QueryRefused
from policykg.store.guard import _TOKEN


def _checked(iris: list[str], parameter: str) -> list[str]:
    for iri in iris:
        try:
            ox.NamedNode(iri)
        except ValueError:
            raise QueryRefused("syntax", f"{parameter}={iri!r} is not an absolute IRI") from None
        if ":" not in iri:
            raise QueryRefused("syntax", f"{parameter}={iri!r} is not an absolute IRI")
    return iris


def _closing_brace(text: str, start: int) -> int:
    """The offset just past the ``}`` that closes the ``{`` the lexer finds first at or after ``start``."""
    depth = 0
    for m in _TOKEN.finditer(text, start):
        if m.group("open"):
            depth += 1
        elif m.group("close"):
            depth -= 1
            if depth == 0:
                return m.end("close")
        if m.end() == len(text) and not m.group(0):
            break
    raise QueryRefused("syntax", "the update's DELETE WHERE pattern is not closed")


def with_dataset(text: str, using: list[str], using_named: list[str]) -> str:
    """``text`` with the dataset of the protocol parameters written into every operation that has a WHERE."""
    if not using and not using_named:
        return text
    clauses = " ".join([f"USING <{g}>" for g in _checked(using, "using-graph-uri")]
                       + [f"USING NAMED <{g}>" for g in _checked(using_named, "using-named-graph-uri")])
    depth, previous = 0, None
    edits: list[tuple[int, int, str]] = []      # (start, end, replacement), in text order
    for m in _TOKEN.finditer(text):
        if m.group("open"):
            depth, previous = depth + 1, m.group("open")
        elif m.group("close"):
            depth, previous = depth - 1, m.group("close")
        elif m.group("word") and depth == 0:
            word, at = m.group("word").upper(), m.start("word")
            if word in ("USING", "WITH"):
                raise QueryRefused("dataset_conflict",
                                   f"the update names its dataset with {word} (at character {at}) and also in "
                                   "using-graph-uri/using-named-graph-uri: send one or the other "
                                   "(SPARQL 1.1 Protocol §2.2.3)")
            if word == "WHERE" and previous == "DELETE":
                # DELETE WHERE { P } → DELETE { P } USING … WHERE { P }
                end = _closing_brace(text, m.end("word"))
                pattern = text[m.end("word"):end]
                edits.append((at, end, f"{pattern.strip()} {clauses} WHERE {pattern.strip()}"))
            elif word == "WHERE":
                edits.append((at, at, f"{clauses} "))
            previous = word
        if not m.group(0):
            break
    for start, end, replacement in reversed(edits):
        text = text[:start] + replacement + text[end:]
    return text
