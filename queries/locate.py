"""Locating a passage pasted from another document: which units of the policy it comes from.

A quotation in another file differs from the text in small ways: other punctuation (,/，), full or
half width, traditional characters, line breaks and spaces, a word left out. Both sides are
compared in a *folded* form (NFKC, simplified characters, letters and digits only, see
:func:`fold`), where each folded character remembers its offset in the source text; rapidfuzz's
``partial_ratio_alignment`` finds the best-matching stretch of the document and scores it (0-100).
The answer gives that stretch's offsets in the source (the same offsets every citation uses), the
units it overlaps (smallest units: items, articles, the preamble …) and the score.
"""
from __future__ import annotations

import unicodedata

import opencc
from rapidfuzz import fuzz
from rapidfuzz.distance import LCSseq

from policykg.ontology.namespaces import sparql_prologue

MIN_SCORE = 60.0
MAX_PASSAGE = 20_000
_T2S = opencc.OpenCC("t2s")
_TEXT_QUERY = sparql_prologue() + """\
SELECT ?text WHERE { ?expression a eli:LegalExpression ; rdf:value ?text } LIMIT 1
"""


def fold(text: str) -> tuple[str, list[int]]:
    """``text`` with only its letters and digits, normalized, and for each kept character its
    offset in ``text``."""
    chars, offsets = [], []
    for i, ch in enumerate(text):
        folded = _T2S.convert(unicodedata.normalize("NFKC", ch)).lower()
        for c in folded:
            if c.isalnum():
                chars.append(c)
                offsets.append(i)
    return "".join(chars), offsets


class Locator:
    """The document's folded text, built once per store state."""

    def __init__(self, store, resolver):
        rows = list(store.select(_TEXT_QUERY))
        self.text = rows[0]["text"].value if rows else ""
        self.folded, self.offsets = fold(self.text)
        self.clauses = resolver.clauses
        parents = {u.parent for u in self.clauses.units.values() if u.parent}
        self.leaves = [u for u in self.clauses.ordered()
                       if u.start is not None and u.iri not in parents and u.kind != "part"]

    def _matched_stretch(self, needle: str, start: int, end: int) -> tuple[int, int]:
        """The first and last characters of the document the passage matches, aligned over a window
        around rapidfuzz's best window (which has the passage's length, so a passage that leaves
        words out would be cut short): the ends are runs of at least two matching characters."""
        pad = max(len(needle) // 2, 4)
        lo, hi = max(0, start - pad), min(len(self.folded), end + pad)
        window = self.folded[lo:hi]
        blocks = [b for b in LCSseq.opcodes(needle, window) if b.tag == "equal" and b.dest_end - b.dest_start >= 2]
        if not blocks:
            return start, end - 1
        first, src = lo + blocks[0].dest_start, blocks[0].src_start
        while src > 0 and first > 0 and self.folded[first - 1] == needle[src - 1]:   # 区 of 区委书记 too
            first, src = first - 1, src - 1
        last, src = lo + blocks[-1].dest_end - 1, blocks[-1].src_end - 1
        while src < len(needle) - 1 and last < len(self.folded) - 1 and self.folded[last + 1] == needle[src + 1]:
            last, src = last + 1, src + 1
        return first, last

    def locate(self, passage: str) -> dict:
        """``{found, score, start, end, text, units: [{clause, path, label_zh, label_en, start, end,
        overlap}]}`` for a passage; ``found`` is false below :data:`MIN_SCORE`."""
        if not isinstance(passage, str) or not passage.strip():
            raise ValueError("the passage is empty")
        if len(passage) > MAX_PASSAGE:
            raise ValueError(f"the passage is longer than {MAX_PASSAGE} characters")
        needle, _ = fold(passage)
        if not needle:
            raise ValueError("the passage has no letters or digits")
        alignment = fuzz.partial_ratio_alignment(needle, self.folded)
        first, last = self._matched_stretch(needle, alignment.dest_start, alignment.dest_end)
        score = round(fuzz.ratio(needle, self.folded[first:last + 1]), 1) if last >= first else 0.0
        score = max(score, round(alignment.score, 1))
        start = self.offsets[first] if first < len(self.offsets) else len(self.text)
        end = self.offsets[max(last, first)] + 1
        units = []
        for unit in self.leaves:
            overlap = min(end, unit.end) - max(start, unit.start)
            if overlap > 0:
                units.append({"clause": unit.iri, "path": unit.path, "label_zh": self.clauses.label(unit),
                              "label_en": self.clauses.label(unit, "en"), "start": unit.start, "end": unit.end,
                              "overlap": round(overlap / max(end - start, 1), 3)})
        return {"found": score >= MIN_SCORE and bool(units), "score": score, "start": start, "end": end,
                "text": self.text[start:end], "units": units}


def locator(store, resolver) -> Locator:
    """The locator of a resolver's store state (built once, kept on the resolver)."""
    return resolver.per_state("locator", lambda: Locator(store, resolver))


__all__ = ["Locator", "MIN_SCORE", "fold", "locator"]
