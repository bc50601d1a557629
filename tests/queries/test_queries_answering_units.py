"""The retrieval fallback of the answering pipeline (queries/answering.py), on a sentence index made here:
how many sentences an answer quotes, when the best sentence holds too few of the question's words for the
text to be said to answer it, and which candidate of an ambiguous name the chain link of a not-in-text answer
names. The evaluation sets (test_queries_answering_eval.py) ask the same pipeline over the real policy; these
pin the boundaries the sets never meet."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from policykg.queries import answering
from policykg.queries.retrieval import Sentence

DOC = "https://w3id.org/policykg/id/doc/t"


class _Index:
    """Sentences ranked as given, each with the same score unless told; ``search`` honours its limit."""

    def __init__(self, texts: list[str], scores: list[float] | None = None):
        self.sentences = [Sentence(f"{DOC}/art/{n}", f"art/{n}", text, 10 * n, 10 * n + len(text))
                          for n, text in enumerate(texts, 1)]
        self.scores = scores or [10.0] * len(texts)
        self.asked: list[int] = []

    def search(self, words, limit=5):
        self.asked.append(limit)
        return [{"sentence": s, "score": score, "matched": list(words)}
                for s, score in list(zip(self.sentences, self.scores))[:limit]]

    def is_heading(self, sentence):
        return False


@pytest.fixture
def cited(monkeypatch):
    """_citation without a resolver: the clause's path as its label."""
    monkeypatch.setattr(answering, "_citation", lambda resolver, iri, quote=None: {
        "clause": iri, "label_zh": iri.rsplit("/", 1)[-1] + "条", "label_en": "Art. " + iri.rsplit("/", 1)[-1],
        "quote": quote})


def _retrieve(index, words, entities=(), text="问题"):
    ctx = SimpleNamespace(index=index)
    return answering._retrieve(ctx, text, text, list(words), list(words), list(entities),
                               {"intent": None}, resolver=None)


def test_an_answer_quotes_at_most_three_sentences_of_equal_score(cited):
    index = _Index([f"社区经费第{n}句" for n in range(1, 6)])
    answer = _retrieve(index, ["社区经费"])
    assert index.asked == [3]
    assert [c["clause"] for c in answer["citations"]] == [f"{DOC}/art/{n}" for n in (1, 2, 3)]


def test_sentences_under_nine_tenths_of_the_best_score_are_left_out(cited):
    index = _Index(["社区经费甲", "社区经费乙", "社区经费丙"], scores=[10.0, 9.0, 8.99])
    answer = _retrieve(index, ["社区经费"])
    assert [c["clause"] for c in answer["citations"]] == [f"{DOC}/art/1", f"{DOC}/art/2"]


@pytest.mark.parametrize("words, answered", [
    (["甲甲", "乙乙"], True),          # the best sentence holds half the question's characters
    (["甲甲", "乙乙乙"], False),        # two of five: under half
    (["甲甲甲", "乙乙"], True),         # three of five
])
def test_the_best_sentence_must_hold_half_the_questions_words(cited, words, answered):
    index = _Index([words[0] + "的规定"])
    answer = _retrieve(index, words)
    assert (answer["intent"] == "retrieval") is answered
    if not answered:
        assert answer["found"] is False and answer["answer_zh"].startswith("原文没有规定")
        assert "“乙乙乙”" in answer["answer_zh"]


def test_the_chain_link_of_a_not_in_text_answer_names_each_actors_best_candidate(cited):
    entities = [
        {"mention": "党组织", "candidates": [{"iri": "urn:best", "kinds": ["actor"]},
                                             {"iri": "urn:second", "kinds": ["actor"]}]},
        {"mention": "物业", "candidates": [{"iri": "urn:other-best", "kinds": ["actor"]},
                                            {"iri": "urn:other-second", "kinds": ["actor"]}]},
    ]
    answer = answering._not_in_text("问题", "", [], None, entities)
    assert answer["links"] == [{"rel": "chain", "href": "/chains?from=urn:best&to=urn:other-best"}]
    assert answering._not_in_text("问题", "", [], None, entities[:1])["links"] == []
