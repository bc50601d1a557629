"""How a unit of the policy is cited: 第5条, 第4条第(3)项, 第二部分, 序言, 结语 … (English: art. 5, item (3) …).

:func:`cite` is the only renderer of citations: the REST API's ``clause_label`` (through
:meth:`policykg.queries.resolve.ClauseIndex.label`), the CLI's tables and every page's
citation links all come from it, so a clause is cited in the same words everywhere.

A citation is written from *steps*, ``(kind, number)`` pairs from the outermost unit it
names to the unit itself: ``[("article", "4"), ("item", 3)]`` is 第4条第(3)项. The clause
index makes the steps from the document's units; :func:`path_steps` makes them from a
unit IRI's path when the unit is not in the index (no data loaded yet).
"""
from __future__ import annotations

from typing import Iterable

# Units cited by their kind alone, (zh, en). The closing is 结语, as the ontology labels its
# kind (pkg:subdivisionClosing) and as the document graph labels the unit.
KIND_WORDS = {
    "preamble": ("序言", "preamble"), "closing": ("结语", "closing"), "signature": ("落款", "signature"),
    "keywords": ("主题词", "keywords"), "imprint": ("印发", "imprint"), "title": ("标题", "title"),
}
# The segments of a unit IRI's path (…/id/doc/<doc>/art/4/item/3) and the kinds they name.
PATH_KINDS = {"art": "article", "item": "item", "para": "paragraph", "part": "part",
              "chapter": "chapter", "section": "section"}

_CN = "零一二三四五六七八九十"


def cn_numeral(n: int) -> str:
    """1 → 一, 12 → 十二, 25 → 二十五 (the numbers the policy gives its parts)."""
    if n <= 10:
        return _CN[n]
    if n < 20:
        return "十" + (_CN[n - 10] if n > 10 else "")
    tens, ones = divmod(n, 10)
    return _CN[tens] + "十" + (_CN[ones] if ones else "")


def _word(kind: str, number, language: str) -> str:
    zh = language != "en"
    if kind == "article":
        return f"第{number}条" if zh else f"art. {number}"
    if kind == "item":
        return f"第({number})项" if zh else f"item ({number})"
    if kind == "paragraph":
        return f"第{number}段" if zh else f"para. {number}"
    if kind == "part":
        # parts are numbered 一、二、… in the text: an ordinal is written as a Chinese numeral
        written = cn_numeral(number) if zh and isinstance(number, int) and number > 0 else number
        return f"第{written}部分" if zh else f"part {number}"
    if kind == "chapter":
        return f"第{number}章" if zh else f"chapter {number}"
    if kind == "section":
        return f"第{number}节" if zh else f"section {number}"
    if kind in KIND_WORDS:
        return KIND_WORDS[kind][0 if zh else 1]
    return str(number or kind)   # a kind without a citation form: its path or its name


def cite(steps: Iterable[tuple[str, object]], language: str = "zh") -> str:
    """The citation of a unit from its steps, in Chinese (joined) or English (comma-separated)."""
    words = [_word(kind, number, language) for kind, number in steps]
    return ", ".join(words) if language == "en" else "".join(words)


def path_steps(iri: str) -> list[tuple[str, object]]:
    """The steps a unit IRI's path spells: ``…/art/4/item/3`` → [("article", "4"), ("item", "3")]."""
    path = iri.split("/id/doc/", 1)[-1].split("/", 1)[-1] if "/id/doc/" in iri else iri
    parts = path.split("/")
    steps: list[tuple[str, object]] = []
    i = 0
    while i < len(parts):
        kind = PATH_KINDS.get(parts[i])
        if kind is None:       # an unnumbered unit (preamble, closing …): one segment
            steps.append((parts[i], None))
            i += 1
            continue
        number = parts[i + 1] if i + 1 < len(parts) else ""
        if kind == "part" and number.isdigit():
            number = int(number)
        steps.append((kind, number))
        i += 2
    return steps


__all__ = ["KIND_WORDS", "cite", "cn_numeral", "path_steps"]
