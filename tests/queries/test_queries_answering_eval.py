"""The evaluation set answered in-process (queries/answering.py, issue 21): the same scoring as the
live-service test of the frozen part (tests/api/test_rest_ask.py), without a server, so that it is
quick enough to run once per mutant of the answering pipeline. The development part is what the
router is tuned on: every question of it is answered correctly, and no question the text does not
answer is answered as if it did. Questions are asked one by one and the first wrong answer fails
the test (it names the question and why)."""
from __future__ import annotations

from pathlib import Path

import pytest

from policykg.queries.answering import ask
from policykg.queries.evaluation import evaluate, load_set, score

EVAL = Path(__file__).resolve().parent / "eval"
DEV_SET = load_set(EVAL / "questions_dev.yaml")
TEST_SET = load_set(EVAL / "questions_test.yaml")


def _not_in_text_first(items: list[dict]) -> list[dict]:
    return sorted(items, key=lambda item: not item.get("not_in_text"))


def test_no_question_the_text_does_not_answer_is_answered_as_if_it_did(store, resolver):
    items = [item for item in DEV_SET + TEST_SET if item.get("not_in_text")]
    assert len(items) >= 30
    for item in items:
        ok, why = score(item, ask(item["q"], store, resolver))
        assert ok, f"{item['id']} {item['q']}: {why}"


def test_every_development_question_is_answered_with_its_clause(store, resolver):
    for item in _not_in_text_first(DEV_SET):
        ok, why = score(item, ask(item["q"], store, resolver))
        assert ok, f"{item['id']} {item['q']}: {why}"


def test_the_frozen_test_set_in_process(store, resolver):
    report = evaluate(TEST_SET, lambda q: ask(q, store, resolver))
    failures = "\n".join(f"{f['id']} {f['q']}: {f['why']}" for f in report["failures"])
    assert report["invented"] == 0, failures
    assert report["score"] >= 0.90, f"{report['correct']}/{report['total']} correct:\n{failures}"


@pytest.mark.parametrize("question", ["Who leads the residents' committee?", "谁领导居民委员会?"])
def test_a_question_in_either_language_cites_the_clause_that_says_it(store, resolver, question):
    body = ask(question, store, resolver)
    part = body["parts"][0]
    assert part["named_query"] == "leaders_of" and part["found"] is True
    assert "art/4/item/3" in {c["path"] for c in part["citations"]}


SOURCE = Path(__file__).resolve().parents[2] / "loader" / "sources" / "suzhou-2011-community-party-building.txt"
PKG = "https://w3id.org/policykg/def/"


def test_what_the_text_does_not_say_is_said_so_then_the_two_nearest_sentences_cited(store, resolver):
    body = ask("社区工作者的退休年龄", store, resolver)
    part = body["parts"][0]
    lines = body["answer_zh"].split("\n")
    assert lines[0] == "原文没有规定“退休年龄”。" and part["found"] is False and body["found"] is False
    assert len(lines) == 3 and len(part["citations"]) == 2
    source = SOURCE.read_text(encoding="utf-8")
    for line, citation in zip(lines[1:], part["citations"]):
        assert line == f"原文最接近的是:「{citation['quote']}」({citation['label_zh']})"
        assert source[citation["start"]:citation["end"]] == citation["quote"]      # the sentence, in the source
        assert "【" in citation["highlighted"] and citation["highlighted"].replace("【", "").replace("】", "") \
            == citation["quote"]
    assert body["answer_en"] == f"The text does not say this (nearest: {part['citations'][0]['label_en']})."
    assert part["links"] == []


def test_two_actors_in_a_question_the_text_does_not_answer_link_to_their_chain(store, resolver):
    part = ask("区委书记和社区书记的任期", store, resolver)["parts"][0]
    assert part["intent"] == "not_in_text"
    assert part["links"] == [{"rel": "chain", "href": f"/chains?from={PKG}DistrictPartySecretary"
                                                     f"&to={PKG}CommunityPartySecretary"}]


def test_a_retrieved_answer_quotes_the_best_sentence_and_those_within_a_tenth_of_its_score_once(store, resolver):
    from policykg.queries.answering import context

    body = ask("社区书记选拔方式有哪些", store, resolver)
    part = body["parts"][0]
    assert part["intent"] == "retrieval" and part["found"] is True
    words = part["params"]["words"]
    search_words = list(dict.fromkeys(words + [c["label_zh"] for e in body["entities"] for c in e["candidates"][:1]
                                               if c.get("label_zh")]))
    hits = context(store, resolver).index.search(search_words, 3)
    best = hits[0]["score"]
    chosen = [hits[0]] + [h for h in hits[1:] if h["score"] >= best * 0.9]
    assert len(chosen) >= 2
    assert [(c["start"], c["quote"]) for c in part["citations"]] == [(h["sentence"].start, h["sentence"].text)
                                                                     for h in chosen]
    assert body["answer_zh"] == "原文:" + ";".join(f"「{c['quote']}」({c['label_zh']})" for c in part["citations"])


def test_a_question_with_no_content_words_is_not_answered(store, resolver):
    body = ask("是什么", store, resolver)
    assert body["route"] == ["not_in_text"] and body["found"] is False
    assert body["answer_zh"] == "原文没有规定这一点。" and body["parts"][0]["citations"] == []


def test_a_quantity_the_text_does_not_give_quotes_at_most_two_nearest_sentences(store, resolver):
    body = ask("社区工作者每月工资是多少元", store, resolver)
    lines = body["answer_zh"].split("\n")
    assert lines[0] == "原文没有规定社区工作者、每月的具体数额或比例。" and body["found"] is False
    assert len(lines) == 3 and len(body["parts"][0]["citations"]) == 2
    assert "art/9" in {c["path"] for c in body["parts"][0]["citations"]}


def test_words_the_best_sentence_lacks_are_named_and_nothing_is_quoted_as_the_answer(store, resolver):
    # the nearest sentence holds 民主 (of 无候选人民主直选), neither 党内民主 nor 做法: less than half the
    # question's words, so the answer says what the text lacks instead of quoting it as the answer
    body = ask("党内民主要推行哪些做法", store, resolver)
    assert body["answer_zh"].split("\n")[0] == "原文没有规定“党内民主”、“做法”。" and body["found"] is False
    assert body["route"] == ["not_in_text"]


def test_a_quantity_the_best_sentences_give_is_answered_though_one_of_them_is_vague(store, resolver):
    # 活动经费最少给多少: art. 19's sentences give 150 元 and 1.5万元; the one beside them that speaks of
    # 一定比例 does not make the answer a refusal
    body = ask("俺们社区党员不到一百个，活动经费最少给多少？", store, resolver)
    second = body["parts"][1]
    assert second["found"] is True and second["intent"] == "retrieval"
    assert "1.5万" in second["answer_zh"] and "art/19" in {c["path"] for c in second["citations"]}
