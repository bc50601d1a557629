"""The bundled Suzhou 2011 policy parses into its known structure, with exact offsets."""
from __future__ import annotations

import pytest

from policykg.loader.dataset import BUNDLED_SOURCE
from policykg.loader.parser import parse_document

DOC_ID = "suzhou-2011-community-party-building"


@pytest.fixture(scope="module")
def doc():
    return parse_document(BUNDLED_SOURCE)


def test_document_identity(doc):
    assert doc.doc_id == DOC_ID
    assert doc.iri == f"https://w3id.org/policykg/id/doc/{DOC_ID}"
    assert doc.text == BUNDLED_SOURCE.read_text(encoding="utf-8")  # UTF-8, LF: normalization is identity


def test_eight_parts_with_headings(doc):
    parts = doc.of_kind("part")
    assert [p.path for p in parts] == [f"part/{i}" for i in range(1, 9)]
    assert [p.number for p in parts] == list("一二三四五六七八")
    assert [p.ordinal for p in parts] == list(range(1, 9))
    assert parts[0].heading == "正确把握加强和改进新形势下城市社区党组织建设的目标任务,切实增强工作的责任感和使命感"
    assert parts[7].heading == "加强组织领导,不断开创城市社区党建工作新局面"
    assert all(p.parent is None for p in parts)


def test_twenty_two_articles_with_headings(doc):
    arts = doc.of_kind("article")
    assert [a.path for a in arts] == [f"art/{i}" for i in range(1, 23)]
    assert [a.number for a in arts] == [str(i) for i in range(1, 23)]
    assert all(a.heading for a in arts)
    expected = {1: "指导思想", 2: "目标任务", 3: "建立健全社区党组织", 4: "明确社区党组织的主要职责",
                5: "理顺社区各类组织的关系", 9: "强化激励保障", 17: "完善区域化党建格局", 19: "健全保障机制",
                20: "落实工作责任", 22: "营造良好氛围"}
    for number, heading in expected.items():
        assert doc.unit(f"art/{number}").heading == heading
    # Each heading opens its article's text, followed by 。 or a colon.
    for a in arts:
        assert a.text.startswith(a.heading) and a.text[len(a.heading)] in "。:："


def test_articles_sit_in_their_parts(doc):
    part_of = {a.ordinal: doc.unit_by_iri(a.parent).ordinal for a in doc.of_kind("article")}
    assert part_of == {1: 1, 2: 1, 3: 2, 4: 2, 5: 2, 6: 3, 7: 3, 8: 3, 9: 3, 10: 4, 11: 4, 12: 5, 13: 5,
                       14: 5, 15: 6, 16: 6, 17: 6, 18: 7, 19: 7, 20: 8, 21: 8, 22: 8}


def test_six_items_of_article_four(doc):
    art4 = doc.unit("art/4")
    items = doc.children(art4)
    assert [i.path for i in items] == [f"art/4/item/{n}" for n in range(1, 7)]
    assert [i.number for i in items] == [f"({n})" for n in range(1, 7)]
    assert [i.kind for i in items] == ["item"] * 6
    assert items[0].text == ("宣传和执行党的路线方针政策,贯彻落实上级党组织和本组织的决议、决定,"
                             "团结组织党员群众,努力完成社区各项任务。")
    assert items[1].text == "讨论决定社区建设和管理中的重要问题。"
    assert items[4].text == "组织党员和群众参加文明和谐社区建设。"
    assert items[5].text == "加强社区党组织自身建设,做好党员教育管理和发展党员工作。"
    # The items tile the article after its heading sentence: label, text, label, text …
    assert art4.text == "明确社区党组织的主要职责。" + "".join(f"({i.ordinal}){i.text}" for i in items)
    # No other article has items: asides like 党总支(党委) or (10000人左右) are not items.
    assert {u.parent for u in doc.of_kind("item")} == {art4.iri}


def test_preamble_opening_paragraph_closing_signature_keywords_imprint(doc):
    assert doc.unit("preamble").text.startswith("为深入贯彻落实党的十七大")
    assert doc.unit("preamble").text.endswith("提出如下意见。")
    para = doc.unit("part/1/para/1")
    assert para.kind == "paragraph" and para.parent == doc.unit("part/1").iri
    assert para.text.startswith("城市社区党组织建设是党的基层组织建设的重要组成部分。")
    assert doc.unit("closing").text.startswith("各县级市、区要根据本《意见》要求")
    assert doc.unit("closing").parent is None
    assert doc.unit("signature").text == "中共苏州市委组织部\n2011年6月"
    assert doc.unit("keywords").text.startswith("主题词:党建")
    assert doc.unit("imprint").text.startswith("中共苏州市委办公室")
    assert doc.unit("imprint").text.endswith("2011年6月24日印发")
    assert not doc.unit("art/22").text.count("各县级市、区要根据本《意见》")  # closing is not in art 22


def test_web_chrome_is_not_policy_text(doc):
    chrome_end = doc.text.index("核心提示:") + len("核心提示:")
    assert all(u.start >= chrome_end for u in doc.units)
    joined = "".join(u.text for u in doc.units)
    for chrome in ("ServiceCentre", "首页", "发布时间", "核心提示"):
        assert chrome not in joined


def test_every_unit_slices_the_source(doc):
    assert len(doc.units) == 42
    for u in doc.units:
        assert doc.text[u.start:u.end] == u.text, u.path
        assert u.text == u.text.strip() and u.text
        assert u.iri == f"{doc.iri}/{u.path}"


def test_parent_links_and_order(doc):
    iris = [u.iri for u in doc.units]
    assert len(set(iris)) == len(iris)
    assert [u.sequence for u in doc.units] == list(range(1, len(doc.units) + 1))
    assert [u.start for u in doc.units] == sorted(u.start for u in doc.units)
    for u in doc.units:
        if u.parent:
            parent = doc.unit_by_iri(u.parent)
            assert parent.start <= u.start and u.end <= parent.end, u.path
            assert iris.index(parent.iri) < iris.index(u.iri)
            assert u.path.startswith(parent.path + "/") or u.kind == "article"
    # Top-level units do not overlap.
    top = [u for u in doc.units if u.parent is None]
    assert all(a.end <= b.start for a, b in zip(top, top[1:]))


def test_unit_lookup(doc):
    with pytest.raises(KeyError):
        doc.unit("art/23")
    assert doc.unit_at(doc.unit("art/4/item/3").start + 2).path == "art/4/item/3"


def test_metadata(doc):
    md = doc.metadata
    assert md.title == "关于进一步加强和改进全市城市社区党组织建设的意见"
    assert md.issuer == "中共苏州市委组织部"
    assert md.date == "2011-06"
    assert md.printer == "中共苏州市委办公室"
    assert md.print_date == "2011-06-24"
    assert md.publisher == "苏州市社会组织服务中心"
    assert md.publication_datetime == "2015-06-10T10:13:56"
    assert md.doc_type == "意见"
    assert md.language == "zh"
    assert md.keywords == ["党建", "社区工作", "基层党组织", "意见"]
    assert md["title"] == md.title  # mapping-style access works too


def test_locate_quotes(doc):
    start, end = doc.locate("社区党组织要切实加强对社区居民委员会的领导和指导", "art/5")
    assert doc.text[start:end] == "社区党组织要切实加强对社区居民委员会的领导和指导"
    assert doc.unit_at(start, end).path == "art/5"
    with pytest.raises(ValueError, match="occurs"):
        doc.locate("社区党组织", "art/5")
    assert doc.locate("社区党组织", "art/5", occurrence=2)[0] > doc.locate("社区党组织", "art/5", occurrence=1)[0]
    with pytest.raises(ValueError, match="not found"):
        doc.locate("业主委员会", "art/4")
    prefix, exact, suffix = doc.context(start, end)
    assert len(prefix) == len(suffix) == 20 and exact == doc.text[start:end]


def test_title_broken_over_two_lines(tmp_path):
    path = tmp_path / "split-title.txt"
    path.write_text("关于进一步加强城市社区\n党组织建设的意见\n一、总体要求\n1. 指导思想。坚持党的领导。\n", encoding="utf-8")
    assert parse_document(path).metadata.title == "关于进一步加强城市社区党组织建设的意见"
