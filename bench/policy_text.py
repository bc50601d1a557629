"""A deterministic policy text of a given size, shaped like the bundled policy, for the build benchmark.

The bundled policy (web-page header, preamble, eight parts 一、… each with numbered articles, a
closing paragraph, signature, keywords, imprint) is cut into its pieces; the generated text keeps
the header and the trailer and repeats the parts until the size is reached. Parts go on in Chinese
numerals (一、 … 九千九百九十九、); each part holds the bundled policy's 22 articles numbered 1. to 22.
(Arabic article numbers stay small: the parser reads a number above 200 as a quantity, not a
label.) So ``policykg build`` reads it exactly as it reads the bundled policy, only longer.

    python -m bench.policy_text --mb 10 --out build/bench/policy-10mb.txt
"""
from __future__ import annotations

import argparse
import re
from pathlib import Path

from policykg.files import write_atomically
from policykg.loader.dataset import BUNDLED_SOURCE

MAX_PARTS = 9999  # the parser's Chinese numerals stop at 千 (thousands)
_PART_RE = re.compile(r"^\s*[一二三四五六七八九十]+、")
_ARTICLE_RE = re.compile(r"^(\s*)\d+\.")
_DIGITS = "零一二三四五六七八九"


def cn_numeral(n: int) -> str:
    """1 → 一, 10 → 十, 21 → 二十一, 105 → 一百零五, 9999 → 九千九百九十九 (1 ≤ n ≤ 9999)."""
    if not 1 <= n <= MAX_PARTS:
        raise ValueError(f"no Chinese part numeral for {n}")
    out, zero = "", False
    for value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        digit, n = divmod(n, value)
        if digit:
            if zero:
                out += "零"
            out += ("" if (unit == "十" and digit == 1 and not out) else _DIGITS[digit]) + unit
            zero = False
        elif out:
            zero = True
    return out


def _pieces(source: Path = BUNDLED_SOURCE) -> tuple[list[str], list[str], list[str], list[str]]:
    """(header lines, part heading texts, article texts, trailer lines) of the bundled policy."""
    lines = source.read_text(encoding="utf-8").split("\n")
    first_part = next(i for i, line in enumerate(lines) if _PART_RE.match(line))
    last_article = max(i for i, line in enumerate(lines) if _ARTICLE_RE.match(line))
    headings, articles = [], []
    for line in lines[first_part:last_article + 1]:
        if _PART_RE.match(line):
            headings.append(_PART_RE.sub("", line))
        elif m := _ARTICLE_RE.match(line):
            articles.append(line[m.end():])
    return lines[:first_part], headings, articles, lines[last_article + 1:]


def policy_text(size_bytes: int, source: Path = BUNDLED_SOURCE) -> str:
    """A policy text of about ``size_bytes`` bytes of UTF-8 (at least one part, whole articles)."""
    header, headings, articles, trailer = _pieces(source)
    tail = "\n".join(trailer)
    budget = size_bytes - len("\n".join(header).encode()) - len(tail.encode())
    body: list[str] = []
    used, full = 0, False
    for part in range(1, MAX_PARTS + 1):
        block = [f"  {cn_numeral(part)}、{headings[(part - 1) % len(headings)]}"]
        used += len(block[0].encode()) + 2
        for number, article in enumerate(articles, start=1):
            line = f"  {number}.{article}"
            full = used + len(line.encode()) + 1 > budget
            if full and number > 1:
                break   # a part keeps at least one article, so that it is a part
            block.append(line)
            used += len(line.encode()) + 1
        body.append("\n".join(block) + "\n")
        if full:
            break
    return "\n".join(header) + "\n" + "\n".join(body) + tail


def write_policy_text(out: Path, size_bytes: int) -> Path:
    """Write the text (once: reused when a file of this size was made before), atomically."""
    out.parent.mkdir(parents=True, exist_ok=True)
    text = policy_text(size_bytes).encode("utf-8")
    if out.exists() and out.read_bytes() == text:
        return out
    return write_atomically(out, text)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=1.0, help="size in MB (10^6 bytes; default 1)")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    path = write_policy_text(args.out, int(args.mb * 1_000_000))
    print(f"{path}: {path.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
