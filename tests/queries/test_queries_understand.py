"""Understanding a question (queries/numerals.py, understand.py), retrieval (retrieval.py),
locating a passage (locate.py) and `policykg ask` / `policykg locate` (issue 13)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from policykg.queries.answering import ask, context
from policykg.queries.locate import fold, locator
from policykg.queries.numerals import amounts, to_digits
from policykg.queries.retrieval import highlight, split_sentences
from policykg.queries.understand import normalize

ROOT = Path(__file__).resolve().parents[2]
POLICYKG = str(Path(sys.executable).parent / "policykg")


@pytest.mark.parametrize("text, digits", [
    ("社区工作经费每人每年二十元", "社区工作经费每人每年20元"),
    ("每名党员一百五十元", "每名党员150元"),
    ("党员不到一百名", "党员不到100名"),
    ("第十九条讲什么", "第19条讲什么"),
    ("市财政承担百分之三十", "市财政承担30%"),
    ("不少于三分之一的面积", "不少于1/3的面积"),
    ("四十五岁以下", "45岁以下"),
    # names that hold a numeral stay as they are
    ("一肩挑", "一肩挑"), ("三会一课", "三会一课"), ("一区多居", "一区多居"), ("三有效一增强", "三有效一增强"),
])
def test_quantities_in_digits_and_names_untouched(text, digits):
    assert to_digits(text) == digits


def test_amounts_read_ten_thousands():
    assert "15000" in amounts("不低于1.5万元") and "150" in amounts("一百五十元")


def test_normal_form_folds_widths_and_traditional_characters():
    assert normalize("社區黨組織書記　待遇？") == "社区党组织书记待遇"
    assert normalize("第１９条") == "第19条"


@pytest.fixture(scope="module")
def ctx(store, resolver):
    return context(store, resolver)


def test_the_dictionary_comes_from_the_graph(ctx):
    u = ctx.understanding
    # a label of the graph is one word, not split by jieba's general dictionary
    assert "社区党组织书记" in u.words("社区党组织书记的待遇")
    assert "居委会" in u.names                               # an altLabel of the ontology
    assert "一肩挑" in u.words("什么是一肩挑")                 # a phrase the policy puts in quotation marks


def test_several_entities_are_linked_and_ambiguity_is_reported(ctx):
    found = ctx.understanding.entities("区委书记和街道党工委书记分别负什么责任")
    mentions = [e["mention"] for e in found]
    assert mentions[:2] == ["区委书记", "街道党工委书记"]
    for entity in found:
        assert entity["ambiguous"] == (len({c["iri"] for c in entity["candidates"]}) > 1)


def test_parts_of_a_question(ctx):
    u = ctx.understanding
    assert u.parts("社区工作经费标准是多少?党员活动经费呢?") == ["社区工作经费标准是多少", "党员活动经费标准是多少"]
    assert u.parts("第一责任人是谁,直接责任人又是谁?") == ["第一责任人是谁", "直接责任人是谁"]
    assert u.parts("第3条和第4条分别讲什么") == ["第3条讲什么", "第4条讲什么"]
    assert u.parts("谁领导居委会") == ["谁领导居委会"]


def test_words_the_text_never_uses_are_found(ctx):
    u = ctx.understanding
    assert u.unknown_words("社区党组织书记的任期是几年") == ["任期"]
    assert u.unknown_words("社区党组织书记待遇标准是多少") == []
    assert u.unknown_words("文件名称") == []                  # 文件 + 名称: both known


def test_retrieval_is_by_sentence_with_numbers_in_digits(ctx):
    hits = ctx.index.search(ctx.understanding.content_words(to_digits("每人每年二十元的社区工作经费")), 3)
    assert hits and hits[0]["sentence"].path == "art/19"
    assert "20元" in hits[0]["sentence"].text and hits[0]["sentence"].text.endswith("。")
    source = ctx.index.sentences[0]
    assert source.end - source.start == len(source.text)


def test_sentences_and_highlight():
    assert [s for _, s in split_sentences("甲。乙;丙(1)丁")] == ["甲。", "乙;", "丙", "(1)丁"]
    assert highlight("区委书记是第一责任人", ["第一责任人"]) == "区委书记是【第一责任人】"


def test_interpreted_rows_are_labelled_in_the_answer(store, resolver):
    result = ask("街道党工委有哪些职责?", store, resolver)
    part = result["parts"][0]
    assert any(row.get("interpreted") for row in part["rows"])
    assert "【解读】" in result["answer_zh"] and "标有【解读】的行是对原文的解读" in result["answer_zh"]
    assert "[reading]" in result["answer_en"] and "interpretation of the text" in result["answer_en"]
    asserted = ask("街道党工委有哪些职责?", store, resolver, asserted_only=True)
    assert "【解读】" not in asserted["answer_zh"]


def test_a_post_is_asked_about_by_its_short_form(store, resolver):
    result = ask("站长每年至少参加几次集中培训", store, resolver)
    assert "art/7" in [c["path"] for p in result["parts"] for c in p["citations"]]


def test_a_post_leads_to_its_organization_said_as_such(store, resolver):
    # the text names no one who leads the workstation head; it heads the workstation, which the
    # community Party organization leads (art. 5): one hop, said as one
    result = ask("站长归谁领导?", store, resolver)
    part = result["parts"][0]
    assert result["answer_zh"].startswith("原文没有直接规定谁领导工作站站长")
    assert "社区工作站的负责人" in result["answer_zh"] and "社区党组织" in result["answer_zh"]
    assert {"art/7", "art/5"} <= {c["path"] for c in part["citations"]}
    assert part["found"] is False


def test_how_many_counts_what_the_listing_question_lists(store, resolver):
    counted = ask("有多少条规定用了原则上", store, resolver)
    listed = ask("哪些规定用了原则上", store, resolver)
    n = len({row["norm"] for row in listed["parts"][0]["rows"]})
    assert n >= 2 and counted["answer_zh"].startswith(f"共{n}条")
    assert counted["parts"][0]["named_query"] == "norms"
    # the document's own count is the structure's, not a listing's
    assert "共22条" in ask("意见一共有几条?", store, resolver)["answer_zh"]


def test_an_ambiguous_name_is_said_to_be_so(store, resolver):
    result = ask("委员会归谁领导", store, resolver)
    assert result["parts"][0]["ambiguous"]["委员会"]
    assert "“委员会”可以指" in result["answer_zh"] and "请说明" in result["answer_zh"]


def test_locate_offsets_point_into_the_source(store, resolver):
    found = locator(store, resolver).locate("鼓勵年齡在40週歲以下的社區工作者參加本科以上學歷教育")
    source = (ROOT / "loader" / "sources" / "suzhou-2011-community-party-building.txt").read_text(encoding="utf-8")
    assert found["found"] and found["score"] >= 95
    assert source[found["start"]:found["end"]] == found["text"]
    assert fold(found["text"])[0] == fold("鼓励年龄在40周岁以下的社区工作者参加本科以上学历教育")[0]
    assert [u["path"] for u in found["units"]] == ["art/7"]
    with pytest.raises(ValueError):
        locator(store, resolver).locate("。。,,")


@pytest.mark.slow
def test_cli_ask_and_locate(built_dataset):
    run = lambda *a, **k: subprocess.run([POLICYKG, *a, "--data", str(built_dataset)], cwd=ROOT,  # noqa: E731
                                         capture_output=True, text=True, timeout=300, **k)
    text = run("ask", "区委书记对社区党建负什么责任?")
    assert text.returncode == 0 and "第一责任人" in text.stdout and "第20条" in text.stdout
    as_json = json.loads(run("ask", "社区工作经费标准是多少?", "--format", "json").stdout)
    assert as_json["parts"][0]["citations"][0]["path"] == "art/19"
    located = run("locate", input="社区工作经费按不低于20元/人·年的标准核拨")
    assert located.returncode == 0 and "第19条" in located.stdout and "score 100" in located.stdout
    missing = run("locate", "今天天气很好")
    assert missing.returncode == 1 and "not found" in missing.stdout
