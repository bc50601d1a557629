"""Scoring /api/ask answers against the evaluation set (tests/queries/eval/questions_*.yaml).

An answer is *correct* when
- every unit the entry names in ``cite`` is among the answer's citations (an article is cited by
  citing it or one of its items; ``part/3`` by the part or one of its paragraphs), and
- every string of ``expect`` (``a|b``: either) appears in ``answer_zh`` or ``answer_en``;
and for an entry marked ``not_in_text``: the answer says the text does not give it (原文没有… /
原文未… / not in the text) and contains none of its ``forbid`` strings.

The answer is the /api/ask contract: ``{answer_zh, answer_en, parts: [{citations: [{clause,
path, …}]}], …}``. ``python -m policykg.queries.evaluation FILE…`` scores the router in-process.
"""
from __future__ import annotations

import sys
from pathlib import Path

import yaml

NOT_IN_TEXT_MARKERS = ("原文没有", "原文未", "not in the text", "does not say", "does not state", "gives no")


def load_set(path) -> list[dict]:
    return yaml.safe_load(Path(path).read_text(encoding="utf-8"))


def cited_paths(response: dict) -> set[str]:
    """The unit paths (art/4/item/3, preamble …) an answer cites, over all its parts."""
    paths = set()
    for part in response.get("parts") or []:
        for citation in part.get("citations") or []:
            path = citation.get("path") or ""
            if not path and citation.get("clause") and "/id/doc/" in citation["clause"]:
                path = citation["clause"].split("/id/doc/", 1)[1].split("/", 1)[-1]
            if path:
                paths.add(path)
    return paths


def _covers(required: str, paths: set[str]) -> bool:
    target = f"art/{required}" if required.isdigit() else required
    return any(p == target or p.startswith(target + "/") for p in paths)


def says_not_in_text(response: dict) -> bool:
    text = f"{response.get('answer_zh') or ''} {response.get('answer_en') or ''}"
    return any(marker in text for marker in NOT_IN_TEXT_MARKERS)


def score(item: dict, response: dict) -> tuple[bool, str]:
    """(correct, why not) for one entry and the answer it got."""
    text = f"{response.get('answer_zh') or ''}\n{response.get('answer_en') or ''}"
    if item.get("not_in_text"):
        if not says_not_in_text(response):
            return False, "answered a question the text does not answer"
        invented = [s for s in item.get("forbid") or [] if s in text]
        return (False, f"states {invented}") if invented else (True, "")
    paths = cited_paths(response)
    missing = [c for c in item.get("cite") or [] if not _covers(str(c), paths)]
    if missing:
        return False, f"does not cite {missing} (cites {sorted(paths)[:6]})"
    absent = [e for e in item.get("expect") or [] if not any(alt in text for alt in str(e).split("|"))]
    if absent:
        return False, f"lacks {absent}"
    return True, ""


def evaluate(items: list[dict], ask) -> dict:
    """Score ``ask(question) -> response`` over ``items``: counts and the failures."""
    results = []
    for item in items:
        ok, why = score(item, ask(item["q"]))
        results.append({"id": item["id"], "q": item["q"], "ok": ok, "why": why,
                        "not_in_text": bool(item.get("not_in_text"))})
    correct = sum(r["ok"] for r in results)
    nit = [r for r in results if r["not_in_text"]]
    return {"total": len(results), "correct": correct, "score": correct / max(len(results), 1),
            "not_in_text": len(nit), "invented": sum(not r["ok"] for r in nit),
            "failures": [r for r in results if not r["ok"]]}


def main(argv: list[str] | None = None) -> int:
    import argparse

    from policykg.queries.answering import ask as ask_question
    from policykg.queries.resolve import Resolver
    from policykg.store.backend import OxigraphStore

    parser = argparse.ArgumentParser(description="score the question router on evaluation files")
    parser.add_argument("files", nargs="+")
    parser.add_argument("--data", default="build/policykg.trig")
    parser.add_argument("--base", default="https://w3id.org/policykg/")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    store = OxigraphStore.from_file(args.data, args.base)
    resolver = Resolver(store, args.base)
    for path in args.files:
        report = evaluate(load_set(path), lambda q: ask_question(q, store, resolver))
        print(f"{path}: {report['correct']}/{report['total']} correct ({report['score']:.1%}); "
              f"not in the text: {report['not_in_text']}, answered as if it were: {report['invented']}")
        if args.verbose:
            for failure in report["failures"]:
                print(f"  {failure['id']} {failure['q']}: {failure['why']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
