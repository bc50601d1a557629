"""Invariants that hold for any text the parser accepts (property-based, hypothesis)."""
from __future__ import annotations

import pytest

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policykg.loader.parser import parse_text
from policykg.loader.text import SourceError

LABELS = ["第一章　", "第二章", "第一节　", "第一条　", "第二条　", "第十二条", "一、", "二、", "（一）", "（二）",
          "1.", "2、", "3．", "（1）", "(2)", "①", ""]
SENTENCES = ["总则", "加强领导。", "社区党组织要加强领导。(1)宣传政策。(2)服务群众。", "职责：（一）宣传；（二）服务。",
             "各单位要认真贯彻执行。", "中共某某市委组织部", "2011年6月", "主题词：党建　社区", "某办公室　2011年6月24日印发",
             "首页 > 政策", "发布时间:2015/6/10 10:13:56 来源:某中心", "", "  ", "【打印本页】"]
LINE = st.builds(lambda indent, label, sentence: indent + label + sentence,
                 st.sampled_from(["", "  ", "\u3000\u3000", "\u00a0"]), st.sampled_from(LABELS),
                 st.sampled_from(SENTENCES))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(LINE, min_size=1, max_size=25), st.sampled_from(["\n", "\n\n"]))
@pytest.mark.slow
def test_accepted_text_has_consistent_units(lines, joiner):
    text = joiner.join(lines)
    try:
        doc = parse_text(text, "generated.txt")
    except SourceError as exc:
        assert "generated.txt" in str(exc)
        return
    paths = [u.path for u in doc.units]
    assert len(set(paths)) == len(paths)
    by_iri = {u.iri: u for u in doc.units}
    for u in doc.units:
        assert doc.text[u.start:u.end] == u.text
        assert u.text and u.text == u.text.strip(" \t\n\u00a0\u3000")
        if u.parent:
            parent = by_iri[u.parent]
            assert parent.start <= u.start and u.end <= parent.end
            assert parent.sequence < u.sequence
    assert [u.sequence for u in doc.units] == list(range(1, len(doc.units) + 1))
