"""Every competency question, asked in Chinese as a policy officer would (policykg.queries.ask),
is answered with rows that cite the articles its answer rests on (tests/loader/competency.yaml).

A named question's whole answer counts (a list question lists many clauses); a search counts
only its first five clauses, since a search always finds something.
"""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from policykg.queries.ask import answer

QUESTIONS = yaml.safe_load((Path(__file__).parents[1] / "loader" / "competency.yaml").read_text(encoding="utf-8"))


# Questions whose answer lies outside the articles (title, preamble, web header, background
# knowledge, counts over the whole text) cite no article, so they are not asked here.
CITING = [cq for cq in QUESTIONS if cq.get("articles")]


def test_most_questions_are_answered_by_articles():
    # Guards the selection above: at most a tenth of the questions may be left out of this test.
    assert len(QUESTIONS) - len(CITING) <= len(QUESTIONS) // 10


@pytest.mark.parametrize("cq", CITING, ids=[cq["id"] for cq in CITING])
def test_asked_in_chinese_the_answer_cites_the_right_articles(store, resolver, cq):
    expected = {str(a) for a in cq["articles"]}
    result = answer(cq["question_zh"], store, resolver)
    assert result["rows"], f"{cq['id']}: no rows ({result['rule']})"
    rows = result["rows"][:5] if result["query"] == "search" else result["rows"]
    cited = {row.get("article") for row in rows} - {None}
    assert cited & expected, f"{cq['id']} routed by {result['rule']}: cites {sorted(cited)}, not {sorted(expected)}"
    for row in rows:
        assert row.get("clause") or row.get("quote"), "every row carries its citation"

