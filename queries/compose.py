"""Composing a direct answer in plain Chinese (and English) from a named question's rows.

Each row becomes one sentence in words (不低于, 领导, 第一责任人 …, never ``>=`` or an IRI) with the
clause cited after it, e.g. 社区工作经费按不低于20元/人·年的标准核拨(第19条). Rows that rest on a
reading of the interpretation graph say so (解读). Only the rows that answer the question best are
written out (the others stay in ``rows``); nothing is written that the rows do not hold.
"""
from __future__ import annotations

import re


MAX_LINES = 6
# comparators as the policy words them, if a row only gives the symbol
COMPARATORS = {">=": "不低于", ">": "超过", "<=": "不超过", "<": "少于", "=": "为", "~": "约"}


def _fill(relation: str, subject: str, obj: str) -> str:
    """是……的第一责任人 + 区委书记 + 城市社区党组织建设 → 区委书记是城市社区党组织建设的第一责任人."""
    relation = relation or ""
    if relation == "担任负责人":
        return f"{subject}担任{obj}的负责人"
    if "……" in relation:
        return subject + relation.replace("……", obj)
    return f"{subject}{relation}{obj}"


def row_sentence(name: str, row: dict, params: dict) -> str:
    """One row as a sentence (without its citation)."""
    actor = (params.get("actor") or params.get("acted_on") or {}).get("label_zh") or ""
    if name in ("clause_text", "cost_sharing"):
        return f"{row.get('quote') or ''}"
    if name == "definition" and row.get("definition"):
        return f"{row.get('entity_label') or ''}:{row['definition'].rstrip('。')}"
    if row.get("norm_label"):
        return row["norm_label"]
    if row.get("led_label"):
        return _fill(row.get("relation_label"), actor, row["led_label"]) + (
            f"(经由{row['via_label']})" if row.get("via_label") else "")
    if row.get("leader_label"):
        return _fill(row.get("relation_label"), row["leader_label"], actor) + (
            f"(经由{row['via_label']})" if row.get("via_label") else "")
    if row.get("person_label") and row.get("role_label"):
        return _fill(row["role_label"], row["person_label"], row.get("task_label") or "")
    if row.get("subject_label") and row.get("object_label"):
        return _fill(row.get("relation_label"), row["subject_label"], row["object_label"])
    if row.get("source_label") and row.get("target_label"):
        return _fill(row.get("relation_label"), row["source_label"], row["target_label"])
    if row.get("fact_label"):
        value = date_words(str(row.get("value_label") or row.get("value") or ""))
        return f"{row['fact_label']}:{value}"
    if row.get("mechanism_label") and row.get("member_label"):
        return f"{row['member_label']}参加{row['mechanism_label']}"
    return row.get("quote") or ""


def date_words(value: str) -> str:
    """2011-06-24 → 2011年6月24日, 2011-06 → 2011年6月, 2015-06-10T10:13:56 → 2015年6月10日 10:13:56."""
    m = re.fullmatch(r"(\d{4})-(\d{2})(?:-(\d{2}))?(?:T(\d{2}:\d{2}(?::\d{2})?))?", value)
    if not m:
        return value
    out = f"{m.group(1)}年{int(m.group(2))}月" + (f"{int(m.group(3))}日" if m.group(3) else "")
    return out + (f" {m.group(4)}" if m.group(4) else "")


def cited(row: dict, language: str = "zh") -> str:
    label = row.get("clause_label") or ""
    if not label:
        return ""
    if language == "en":
        return f" ({label})"
    return f"({label})"


def relevance(text: str, words: list[str]) -> int:
    return sum(len(w) for w in words if w and w in text)


def compose_rows(name: str, rows: list[dict], params: dict, words: list[str], listing: bool) -> tuple[list[str], list[dict]]:
    """(sentences, the rows they come from): the rows that answer best, one sentence each."""
    if name == "toc":
        return _toc(rows)
    scored = []
    for i, row in enumerate(rows):
        sentence = row_sentence(name, row, params)
        if not sentence:
            continue
        haystack = f"{sentence} {row.get('quote') or ''} {row.get('value_text') or ''}"
        scored.append((relevance(haystack, words), i, sentence, row))
    if not scored:
        return [], []
    best = max(s for s, *_ in scored)
    keep = [t for t in scored if t[0] == best] if best > 0 and not listing else scored
    keep = sorted(keep, key=lambda t: (bool(t[3].get("interpreted")), t[1]))[:MAX_LINES if not listing else 12]
    keep.sort(key=lambda t: t[1])
    lines, used, seen = [], [], set()
    for _, _, sentence, row in keep:
        line = sentence + cited(row) + ("【解读】" if row.get("interpreted") else "")
        if line in seen:
            continue
        seen.add(line)
        lines.append(line)
        used.append(row)
    return lines, used


def _toc(rows: list[dict]) -> tuple[list[str], list[dict]]:
    parts = [r for r in rows if r.get("unit_kind") == "part"]
    articles = [r for r in rows if r.get("unit_kind") == "article"]
    line = f"正文分为{len(parts)}个部分(一至{parts[-1]['number'] if parts else ''}),共{len(articles)}条编号条目"
    first_last = [r for r in (articles[:1] + articles[-1:])]
    return [line + "(第1条至第22条)" if len(articles) == 22 else line], first_last


def interpreted_note(rows: list[dict]) -> str:
    # Chinese only: the English answer (answer_en) says the same in English
    return "标有【解读】的行是对原文的解读,不是原文的直接规定。" if any(
        r.get("interpreted") for r in rows) else ""


__all__ = ["COMPARATORS", "compose_rows", "interpreted_note", "row_sentence"]
