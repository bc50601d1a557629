"""Numbering labels of Chinese policy documents and their numerals.

A label opens a unit: 第三章, 第二节, 第十二条, 第一部分, 一、, （一）, 1. / 1、 / 1．, （1） / (1), ①.
Full- and half-width punctuation are both accepted because documents copied from the
web mix them freely (the bundled policy writes ``1.`` and ``(1)`` in half width).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

CN_DIGITS = {"零": 0, "〇": 0, "○": 0, "Ｏ": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4,
             "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
CN_UNITS = {"十": 10, "百": 100, "千": 1000}
CN_NUMERAL = "[零〇○一二两三四五六七八九十百千]+"
FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")
CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"


def cn_to_int(numeral: str) -> int:
    """Value of a Chinese numeral: 三 → 3, 十二 → 12, 二十 → 20, 九十九 → 99, 一百零五 → 105, 二〇一一 → 2011.

    Raises ValueError for anything that is not a numeral.
    """
    numeral = numeral.strip()
    if not numeral or any(ch not in CN_DIGITS and ch not in CN_UNITS for ch in numeral):
        raise ValueError(f"not a Chinese numeral: {numeral!r}")
    if not any(ch in CN_UNITS for ch in numeral):
        # Digit-by-digit form used in years: 二〇一一.
        return int("".join(str(CN_DIGITS[ch]) for ch in numeral))
    total, digit = 0, None
    for ch in numeral:
        if ch in CN_DIGITS:
            digit = CN_DIGITS[ch]
        else:
            total += (1 if digit is None else digit) * CN_UNITS[ch]  # 十二: a bare 十 means 10
            digit = None
    return total + (digit or 0)


def to_int(numeral: str) -> int:
    """Value of a numeral written with Arabic (half- or full-width), Chinese or circled digits."""
    numeral = numeral.strip().translate(FULLWIDTH_DIGITS)
    if numeral.isascii() and numeral.isdigit():
        return int(numeral)
    if len(numeral) == 1 and numeral in CIRCLED:
        return CIRCLED.index(numeral) + 1
    return cn_to_int(numeral)


# Line-start label styles. Each pattern captures the label as written (``label``) and its
# numeral (``num``); the separator after it (、 . ． whitespace) is matched but not captured.
_ARABIC = "[0-9０-９]{1,3}"
_SPACE = "[ \t\u00a0\u3000]"
_CITING = "[的之所规中和与及至、，,；;。]"
STYLES: dict[str, re.Pattern] = {
    # Structural labels with a fixed rank.
    # A separator usually follows (第一条　…); without one, the next word must not continue a
    # sentence that merely starts by citing a provision (第一条的…, 第三条规定…).
    "part-cn": re.compile(rf"(?P<label>第(?P<num>{CN_NUMERAL}|{_ARABIC})部分)(?:[、:：.．]|{_SPACE}|(?!{_CITING})){_SPACE}*"),
    "chapter": re.compile(rf"(?P<label>第(?P<num>{CN_NUMERAL}|{_ARABIC})章)(?:[、:：.．]|{_SPACE}|(?!{_CITING})){_SPACE}*"),
    "section": re.compile(rf"(?P<label>第(?P<num>{CN_NUMERAL}|{_ARABIC})节)(?:[、:：.．]|{_SPACE}|(?!{_CITING})){_SPACE}*"),
    "article": re.compile(rf"(?P<label>第(?P<num>{CN_NUMERAL}|{_ARABIC})条)(?:[、:：.．]|{_SPACE}|(?!{_CITING})){_SPACE}*"),
    # Enumerations, ranked by the order in which a document first uses them.
    "cn-enum": re.compile(rf"(?P<label>(?P<num>{CN_NUMERAL}))[、.．]{_SPACE}*"),
    "cn-paren": re.compile(rf"(?P<label>[（(](?P<num>{CN_NUMERAL})[）)])[、.．]?{_SPACE}*"),
    # Punctuation is required after an Arabic number: "50 人以上" opens a sentence, not an item.
    "arabic": re.compile(rf"(?P<label>(?P<num>{_ARABIC})){_SPACE}?[、.．](?![0-9０-９]){_SPACE}*"),
    "arabic-paren": re.compile(rf"(?P<label>[（(](?P<num>{_ARABIC})[）)])[、.．]?{_SPACE}*"),
    "circled": re.compile(rf"(?P<label>(?P<num>[{CIRCLED}])){_SPACE}*"),
}
FIXED_STYLES = ("part-cn", "chapter", "section", "article")
PAREN_STYLES = ("cn-paren", "arabic-paren", "circled")


@dataclass(frozen=True)
class Label:
    style: str
    label: str        # as written, without the separator after it: 一, 4, (1), 第三条
    ordinal: int
    start: int        # offsets of the label within the string that was matched
    end: int          # end of label + separator: where the unit's own text begins


def match_label(line: str, pos: int = 0) -> Label | None:
    """The numbering label at ``line[pos:]``, if the line opens with one."""
    for style, pattern in STYLES.items():
        m = pattern.match(line, pos)
        if not m:
            continue
        if m.end() >= len(line.rstrip()) and style not in FIXED_STYLES:
            continue  # a bare 一、 or 1. is not a unit; a bare 第一章 is (its heading may follow)
        try:
            ordinal = to_int(m.group("num"))
        except ValueError:
            continue
        if style == "arabic" and ordinal > 200:
            continue  # a year or a quantity opening a sentence, not a number label
        return Label(style, m.group("label"), ordinal, m.start(), m.end())
    return None


def find_inline_items(text: str, styles: tuple[str, ...] = PAREN_STYLES) -> list[Label]:
    """Enumerated items written inside one paragraph, e.g. ``职责。(1)……。(2)……``.

    Accepted only as a run numbered 1, 2, 3 … in one style, each label opening the paragraph or
    following sentence-ending punctuation, so that asides such as ``党总支(党委)`` or
    ``(10000人左右)`` are never mistaken for items.
    """
    best: list[Label] = []
    lead = len(text) - len(text.lstrip())   # text[:k].isspace() ⇔ 0 < k ≤ lead, without copying text[:k]
    for style in styles:
        pattern = STYLES[style]
        found: list[Label] = []
        for m in re.finditer(pattern.pattern, text):
            if m.start() > 0 and text[m.start() - 1] not in "。；;：:！!？?\n" and not m.start() <= lead:
                continue
            try:
                ordinal = to_int(m.group("num"))
            except ValueError:
                continue
            if ordinal == len(found) + 1:
                found.append(Label(style, m.group("label"), ordinal, m.start(), m.end()))
        if len(found) >= 2 and len(found) > len(best):
            best = found
    return best
