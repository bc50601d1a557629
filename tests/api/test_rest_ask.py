"""/api/ask and /api/locate on the live server (issue 13).

The frozen test part of the evaluation set (tests/queries/eval/questions_test.yaml, written before
the router was changed and never edited since) goes through /api/ask on the real server: at least
90% must be correct (the right units cited, the answer strings present), and no question the text
does not answer may be answered as if it did.
"""
from __future__ import annotations

from pathlib import Path

import pytest
import requests

from policykg.queries.evaluation import evaluate, load_set

EVAL = Path(__file__).resolve().parents[1] / "queries" / "eval"
TEST_SET = load_set(EVAL / "questions_test.yaml")
DEV_SET = load_set(EVAL / "questions_dev.yaml")


def _ask(base: str):
    session = requests.Session()

    def ask(question: str) -> dict:
        response = session.get(f"{base}/api/ask", params={"q": question}, timeout=60)
        assert response.status_code == 200, (question, response.text[:300])
        return response.json()
    return ask


def test_the_evaluation_set_is_large_and_covers_what_the_issue_asks():
    both = TEST_SET + DEV_SET
    assert len(both) >= 250 and len(TEST_SET) >= 120
    assert sum(1 for item in both if item.get("not_in_text")) >= 30
    cited = {str(c) for item in both for c in item.get("cite") or []}
    assert {str(n) for n in range(1, 23)} <= cited                      # every article
    assert {"preamble", "closing", "signature", "imprint", "keywords"} <= cited
    assert sum(1 for item in both if item["q"].isascii()) >= 5          # English questions


def test_the_frozen_test_set_through_the_live_service(live_server):
    report = evaluate(TEST_SET, _ask(live_server))
    failures = "\n".join(f"{f['id']} {f['q']}: {f['why']}" for f in report["failures"])
    invented = [f for f in report["failures"] if f["not_in_text"]]
    assert not invented, f"answered as if the text said it:\n{failures}"
    assert report["score"] >= 0.90, f"{report['correct']}/{report['total']} correct:\n{failures}"


def test_the_answer_contract(live_server):
    body = requests.get(f"{live_server}/api/ask", params={"q": "社区工作经费标准是多少?党员活动经费呢?"},
                        timeout=60).json()
    assert body["ok"] is True
    assert {"answer_zh", "answer_en", "parts", "entities", "route"} <= set(body)
    assert len(body["parts"]) == 2 and len(body["route"]) == 2
    for part in body["parts"]:
        assert {"question", "intent", "named_query", "params", "rows", "citations"} <= set(part)
        assert part["citations"] and all(c["path"] == "art/19" for c in part["citations"])
    assert "20" in body["parts"][0]["answer_zh"] and "150" in body["parts"][1]["answer_zh"]
    assert "第19条" in body["answer_zh"]
    # no comparator symbols or internal names in the words shown
    assert not any(sym in body["answer_zh"] for sym in (">=", "<=", "pkg:", "https://"))
    # the fields earlier clients read are still there (the first part's rows and route)
    assert body["query"] == body["parts"][0]["named_query"] and body["rows"]


def test_entities_are_linked_with_their_candidates(live_server):
    body = requests.get(f"{live_server}/api/ask", params={"q": "居委会和业委会是什么关系"}, timeout=60).json()
    mentions = {e["mention"]: e for e in body["entities"]}
    assert {"居委会", "业委会"} <= set(mentions)
    assert all("ambiguous" in e and e["candidates"] for e in body["entities"])
    assert any(c["label_zh"] == "居民委员会" for c in mentions["居委会"]["candidates"])


def test_not_in_the_text_says_so_and_quotes_the_nearest_text(live_server):
    body = requests.get(f"{live_server}/api/ask", params={"q": "社区党组织书记的任期是几年?"}, timeout=60).json()
    assert body["answer_zh"].startswith("原文没有规定") and body["found"] is False
    assert "任期" in body["answer_zh"]
    assert body["parts"][0]["citations"], "the nearest text is shown, cited"
    assert body["note"] is not None


def test_an_english_question_goes_through_the_same_pipeline(live_server):
    body = requests.get(f"{live_server}/api/ask", params={"q": "Who leads the residents' committee?"},
                        timeout=60).json()
    assert body["understood_as"] and "居民委员会" in body["understood_as"]
    assert body["parts"][0]["named_query"] == "leaders_of"
    assert any(c["path"].startswith("art/") for c in body["parts"][0]["citations"])


@pytest.mark.parametrize("passage, path", [
    ("社区工作经费按不低于20元/人·年的标准核拨", "art/19"),
    # traditional characters, full-width punctuation, a line break and spaces
    ("區委書記是城市社區黨組織建設的第一責任人，\n街道党工委书记是城市社区党组织建设的  直接责任人。", "art/20"),
    # a small omission (的) and other punctuation
    ("(3)领导居民委员会等社区自治组织,群团组织和社会组织,支持和保障这些组织依照各自章程开展工作", "art/4/item/3"),
])
def test_locate_finds_the_unit_of_a_pasted_passage(live_server, passage, path):
    for kwargs in ({"json": {"text": passage}}, {"data": passage.encode("utf-8"),
                                                 "headers": {"Content-Type": "text/plain; charset=utf-8"}}):
        response = requests.post(f"{live_server}/api/locate", timeout=60, **kwargs)
        assert response.status_code == 200, response.text[:300]
        body = response.json()
        assert body["found"] is True and body["score"] >= 80
        assert path in [row["path"] for row in body["rows"]]
        assert 0 <= body["start"] < body["end"]
        unit = [row for row in body["rows"] if row["path"] == path][0]
        # within the unit (an item's number, "(3)", stands just before the item's own text)
        assert unit["start"] - 3 <= body["start"] and body["end"] <= unit["end"] + 2
        assert unit["overlap"] >= 0.8


def test_locate_says_when_a_passage_is_not_from_the_policy_and_names_bad_input(live_server):
    body = requests.post(f"{live_server}/api/locate", json={"text": "今天天气很好,我们去公园散步吧。"}, timeout=60).json()
    assert body["found"] is False
    empty = requests.post(f"{live_server}/api/locate", json={"text": "  "}, timeout=60)
    assert empty.status_code == 400 and empty.json()["error"]["parameter"] == "text"
    wrong = requests.post(f"{live_server}/api/locate", json=["not", "an object"], timeout=60)
    assert wrong.status_code == 400 and "text" in wrong.json()["error"]["message"]


def test_openapi_documents_ask_and_locate(live_server):
    doc = requests.get(f"{live_server}/api/openapi.json", timeout=60).json()
    assert "post" in doc["paths"]["/api/locate"]
    assert doc["components"]["schemas"]["Answer"]["required"][:4] == ["ok", "answer_zh", "answer_en", "parts"]
