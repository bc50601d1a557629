"""Chinese numerals and amounts in a question, written in digits (cn2an does the arithmetic).

Only spans that read as a quantity are converted: a numeral before a measure word (二十元,
一百五十名, 四十五岁, 第十九条, 三年), 百分之三十 → 30%, 三分之一 → 1/3, and 1.5万 → 15000.
Names that contain a numeral (一肩挑, 三会一课, 一区多居, 一社区一名大学生) are left alone,
which is why the whole text is not handed to ``cn2an.transform``.
"""
from __future__ import annotations

import re
import warnings

_DIGIT = "零〇一二两三四五六七八九十百千万亿"
# Measure words after which a numeral is a quantity.
_MEASURE = r"(?:条|项|部分|元|块|岁|周岁|天|日|年|个月|月|周|次|名|人|户|倍|个|遍|万元|万|平方米|小时|届|%)"
_NUMERAL = re.compile(rf"(?<![哪几])(第)?([{_DIGIT}]+)(?={_MEASURE})")   # 哪一年 asks, 一年 counts
_PERCENT = re.compile(rf"百分之([{_DIGIT}0-9.]+)")
_FRACTION = re.compile(rf"([{_DIGIT}0-9]+)分之([{_DIGIT}0-9]+)")
_WAN = re.compile(r"(\d+(?:\.\d+)?)万(?!人)")
# A bare 一 before these is an article-like "one" (一次, 一天, 一遍) and stays readable as 1.


def cn_to_int(text: str) -> int | float | None:
    """一百五十 → 150, 45 → 45; None when it is not a numeral."""
    text = text.strip()
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return float(text) if "." in text else int(text)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import cn2an   # on first use: its import costs every server process ~0.14 s at start
            value = cn2an.cn2an(text, "smart")
    except (ValueError, KeyError, TypeError):
        return None
    return int(value) if float(value).is_integer() else value


def _number(text: str) -> str | None:
    value = cn_to_int(text)
    return None if value is None else (f"{value:g}" if isinstance(value, float) else str(value))


def to_digits(text: str) -> str:
    """``text`` with its quantities in digits: 第十九条 → 第19条, 百分之三十 → 30%, 三分之一 → 1/3."""
    def percent(m):
        n = _number(m.group(1))
        return f"{n}%" if n else m.group(0)

    def fraction(m):
        den, num = _number(m.group(1)), _number(m.group(2))
        return f"{num}/{den}" if den and num else m.group(0)

    def numeral(m):
        n = _number(m.group(2))
        return f"{m.group(1) or ''}{n}" if n else m.group(0)

    text = _PERCENT.sub(percent, text)
    text = _FRACTION.sub(fraction, text)
    return _NUMERAL.sub(numeral, text)


def amounts(text: str) -> list[str]:
    """The numbers a text names, as digit strings (1.5万 also as 15000): for matching numbers."""
    text = to_digits(text)
    found = re.findall(r"\d+(?:\.\d+)?", text)
    found += [f"{float(m) * 10000:g}" for m in _WAN.findall(text)]
    return found


__all__ = ["amounts", "cn_to_int", "to_digits"]
