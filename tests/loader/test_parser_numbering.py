"""Numbering schemes other than the bundled policy's: 第X章/第X节/第X条 with （一） items,
一、/（一）/1．/（1） enumerations, Chinese numerals, continuation paragraphs and the closing rule."""
from __future__ import annotations

import pytest

from policykg.loader.numbering import cn_to_int, find_inline_items, match_label, to_int
from policykg.loader.parser import parse_document

DIGITS = "零一二三四五六七八九"


def chinese(n: int) -> str:
    """Independent writer of Chinese numerals 1..99 (一, 十, 十一, 二十, 九十九)."""
    tens, ones = divmod(n, 10)
    return ("" if tens == 0 else ("十" if tens == 1 else DIGITS[tens] + "十")) + (DIGITS[ones] if ones else "")


@pytest.mark.parametrize("n", range(1, 100))
def test_chinese_numerals_up_to_ninety_nine(n):
    assert cn_to_int(chinese(n)) == n
    label = match_label(f"第{chinese(n)}条　内容")
    assert label.style == "article" and label.ordinal == n and label.label == f"第{chinese(n)}条"


def test_other_numerals():
    assert cn_to_int("一百零五") == 105
    assert cn_to_int("二〇一一") == 2011
    assert to_int("１２") == 12 and to_int("③") == 3
    with pytest.raises(ValueError):
        cn_to_int("三强")


@pytest.mark.parametrize("line, style, label, ordinal", [
    ("一、总体要求", "cn-enum", "一", 1),
    ("十二．工作要求", "cn-enum", "十二", 12),
    ("（三）工作目标", "cn-paren", "（三）", 3),
    ("(三)工作目标", "cn-paren", "(三)", 3),
    ("1. 指导思想", "arabic", "1", 1),
    ("2、目标任务", "arabic", "2", 2),
    ("3．健全组织", "arabic", "3", 3),
    ("１０．健全组织", "arabic", "１０", 10),
    ("（1）宣传", "arabic-paren", "（1）", 1),
    ("(4)密切联系群众", "arabic-paren", "(4)", 4),
    ("第二章 社区组织", "chapter", "第二章", 2),
    ("第一节　党组织", "section", "第一节", 1),
    ("第三部分 保障措施", "part-cn", "第三部分", 3),
    ("第十一条本办法自公布之日起施行。", "article", "第十一条", 11),
    ("①加强领导", "circled", "①", 1),
])
def test_line_labels(line, style, label, ordinal):
    found = match_label(line)
    assert (found.style, found.label, found.ordinal) == (style, label, ordinal)


@pytest.mark.parametrize("line", [
    "2011年6月", "1.2倍以上", "30%的面积", "第一条的规定适用于本章。", "第三条规定的情形除外。",
    "三强型干部", "(10000人左右)的集中安置居住区", "一、", "主题词:党建", "50 人以上的社区",
])
def test_not_labels(line):
    assert match_label(line) is None


def test_inline_items_need_sentence_boundaries():
    text = "主要职责。(1)宣传政策。(2)讨论问题;(3)领导社区党总支(党委)工作。"
    items = find_inline_items(text)
    assert [i.label for i in items] == ["(1)", "(2)", "(3)"]
    assert find_inline_items("设立党总支(党委)和(10000人左右)的居住区。") == []
    assert find_inline_items("职责：（一）宣传；（二）讨论。") and \
        [i.ordinal for i in find_inline_items("职责：（一）宣传；（二）讨论。")] == [1, 2]


CHAPTERED = """苏州市社区服务管理办法

第一章　总则
第一条　为了规范社区服务管理，根据有关规定，制定本办法。
第二条　本办法适用于本市行政区域内的城市社区。
社区服务应当坚持便民、利民的原则。
第二章　社区组织
第一节　党组织
第三条　社区党组织履行下列职责：
（一）宣传和执行党的路线方针政策；
（二）讨论决定社区建设中的重要问题；
（三）领导社区居民委员会。
第四条　【经费保障】社区工作经费纳入财政预算。
第二节　居民委员会
第五条　社区居民委员会每届任期五年。
第三章　附则
第六条　本办法自2011年7月1日起施行。
"""


@pytest.fixture
def write(tmp_path):
    def _write(name: str, text: str, encoding: str = "utf-8") -> object:
        path = tmp_path / name
        path.write_bytes(text.encode(encoding))
        return path
    return _write


def test_chapters_sections_articles_items(write):
    doc = parse_document(write("chaptered.txt", CHAPTERED))
    paths = [u.path for u in doc.units]
    assert paths == ["chapter/1", "art/1", "art/2", "art/2/para/1", "art/2/para/2",
                     "chapter/2", "chapter/2/section/1", "art/3", "art/3/item/1", "art/3/item/2",
                     "art/3/item/3", "art/4", "chapter/2/section/2", "art/5", "chapter/3", "art/6"]
    assert doc.metadata.title == "苏州市社区服务管理办法" and doc.metadata.doc_type == "办法"
    assert [u.heading for u in doc.of_kind("chapter")] == ["总则", "社区组织", "附则"]
    assert [u.heading for u in doc.of_kind("section")] == ["党组织", "居民委员会"]
    assert doc.unit("art/1").heading is None          # 第X条 articles carry no opening-phrase heading
    assert doc.unit("art/4").heading == "经费保障"      # … unless it is bracketed
    assert doc.unit("art/3").parent == doc.unit("chapter/2/section/1").iri
    assert doc.unit("art/5").parent == doc.unit("chapter/2/section/2").iri
    assert doc.unit("art/3").number == "第三条" and doc.unit("art/3").ordinal == 3
    assert [u.text for u in doc.children(doc.unit("art/3"))] == [
        "宣传和执行党的路线方针政策；", "讨论决定社区建设中的重要问题；", "领导社区居民委员会。"]
    assert [u.number for u in doc.children(doc.unit("art/3"))] == ["（一）", "（二）", "（三）"]
    assert doc.unit("art/2/para/2").text == "社区服务应当坚持便民、利民的原则。"
    assert doc.unit("art/2").text == "本办法适用于本市行政区域内的城市社区。\n社区服务应当坚持便民、利民的原则。"
    assert doc.unit("art/1").iri.endswith("/id/doc/chaptered/art/1")
    for u in doc.units:
        assert doc.text[u.start:u.end] == u.text


ENUMERATED = """关于加强社区工作的通知

各区委组织部：
　　为做好社区工作，现通知如下。
一、总体要求
（一）指导思想。坚持以人为本，服务群众。
1．健全组织。各社区要健全组织。
2．完善制度。建立完善制度。
（二）工作目标。到2015年，全面完成任务。
二、主要任务
（一）加强队伍建设。选好配强社区书记。
（二）保障经费。经费由财政安排。
　　请各地认真贯彻执行。

中共某某市委组织部
二〇一一年六月二十四日
"""


def test_enumerations_full_width_and_restarting_articles(write):
    doc = parse_document(write("enumerated.txt", ENUMERATED))
    assert [u.path for u in doc.units] == [
        "preamble", "part/1", "part/1/art/1", "part/1/art/1/item/1", "part/1/art/1/item/2", "part/1/art/2",
        "part/2", "part/2/art/1", "part/2/art/2", "closing", "signature"]
    assert doc.unit("preamble").text == "各区委组织部：\n　　为做好社区工作，现通知如下。"
    assert doc.unit("part/2").heading == "主要任务"
    assert doc.unit("part/1/art/2").heading == "工作目标"
    assert doc.unit("part/1/art/1/item/2").number == "2"
    assert doc.unit("closing").text == "请各地认真贯彻执行。"
    md = doc.metadata
    assert (md.title, md.doc_type, md.issuer, md.date) == ("关于加强社区工作的通知", "通知", "中共某某市委组织部",
                                                          "2011-06-24")


def test_continuation_paragraphs_keep_the_last_one(write):
    text = "一、总则\n1. 第一条的内容。\n第一条的继续段落。\n2. 第二条的内容。\n最后一段文字。\n"
    doc = parse_document(write("continued.txt", text))
    # Article 1 has a continuation paragraph, so the trailing paragraph is article 2's, not a closing.
    assert [u.path for u in doc.units] == ["part/1", "art/1", "art/1/para/1", "art/1/para/2",
                                           "art/2", "art/2/para/1", "art/2/para/2"]
    assert doc.unit("art/1").heading is None  # no text follows the opening phrase: no heading
    without = parse_document(write("closing.txt", text.replace("第一条的继续段落。\n", "")))
    assert without.unit("closing").text == "最后一段文字。"
    assert "para" not in " ".join(u.path for u in without.units)


def test_items_on_their_own_lines_and_single_level(write):
    doc = parse_document(write("flat.txt", "社区工作规则\n1. 健全组织。要健全组织。\n2. 完善制度。\n（1）建立台账；\n（2）定期检查。\n"))
    assert [u.path for u in doc.units] == ["art/1", "art/2", "art/2/item/1", "art/2/item/2"]
    assert doc.unit("art/2/item/2").text == "定期检查。"
    assert doc.metadata.title == "社区工作规则"


def test_bare_labels_on_their_own_lines(write):
    text = ("某某条例\n\n第一章\n总则\n\n第一条\n为了规范管理，制定本条例。\n\n第二条　本条例适用于全市。\n"
            "第二章　附则\n第三条　本条例自公布之日起施行。\n")
    doc = parse_document(write("bare.txt", text))
    assert [u.path for u in doc.units] == ["chapter/1", "art/1", "art/2", "chapter/2", "art/3"]
    assert doc.unit("chapter/1").heading == "总则"
    assert doc.unit("art/1").text == "为了规范管理，制定本条例。"
    for u in doc.units:
        assert doc.text[u.start:u.end] == u.text and u.text == u.text.strip()


def test_web_chrome_top_and_bottom(write):
    text = ("某市人民政府网\n首页 > 政策文件 > 通知\n关于做好社区工作的通知\n发布日期：2016-03-05　来源：某市民政局\n"
            "一、总体要求\n1、加强领导。各地要加强领导。\n2、落实责任。各地要落实责任。\n"
            "某市民政局\n2016年3月1日\n【打印本页】【关闭窗口】\n版权所有：某市人民政府\n")
    doc = parse_document(write("web.txt", text))
    assert [u.path for u in doc.units] == ["part/1", "art/1", "art/2", "signature"]
    md = doc.metadata
    assert (md.title, md.publisher, md.publication_datetime) == ("关于做好社区工作的通知", "某市民政局", "2016-03-05")
    assert (md.issuer, md.date) == ("某市民政局", "2016-03-01")
    assert "版权" not in "".join(u.text for u in doc.units)
