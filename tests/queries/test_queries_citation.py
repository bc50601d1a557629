"""The one citation renderer: how units are cited in Chinese and English, from the clause index
and from an IRI's path alike."""
from __future__ import annotations

import pytest

from policykg.queries.citation import cite, path_steps

DOC = "https://w3id.org/policykg/id/doc/suzhou-2011-community-party-building"


@pytest.mark.parametrize("steps, zh, en", [
    ([("article", "19")], "第19条", "art. 19"),
    ([("article", "4"), ("item", 3)], "第4条第(3)项", "art. 4, item (3)"),
    ([("part", 2)], "第二部分", "part 2"),
    ([("part", 12)], "第十二部分", "part 12"),
    ([("part", 1), ("paragraph", 1)], "第一部分第1段", "part 1, para. 1"),
    ([("chapter", "3"), ("section", "2")], "第3章第2节", "chapter 3, section 2"),
    ([("preamble", None)], "序言", "preamble"),
    ([("closing", None)], "结语", "closing"),
    ([("signature", None)], "落款", "signature"),
    ([("subitem", "art/4/item/3/sub/1")], "art/4/item/3/sub/1", "art/4/item/3/sub/1"),
])
def test_cite(steps, zh, en):
    assert cite(steps, "zh") == zh
    assert cite(steps) == zh
    assert cite(steps, "en") == en


def test_path_steps():
    assert path_steps(f"{DOC}/art/4/item/3") == [("article", "4"), ("item", "3")]
    assert path_steps(f"{DOC}/part/2/para/1") == [("part", 2), ("paragraph", "1")]
    assert path_steps(f"{DOC}/closing") == [("closing", None)]


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_index_and_the_path_cite_every_unit_alike(resolver, language):
    """A page cites from the clause index, or from the IRI when the unit is not in it: both
    must say the same thing for every unit of the bundled policy."""
    index = resolver.clauses
    units = index.ordered()
    assert len(units) > 40 and {u.kind for u in units} >= {"preamble", "part", "article", "item", "closing"}
    for unit in units:
        assert index.label(unit, language) == cite(path_steps(unit.iri), language), unit.path
    closing = [u for u in units if u.kind == "closing"]
    assert [index.label(u) for u in closing] == ["结语"]
