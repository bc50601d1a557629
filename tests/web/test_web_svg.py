"""The server-side graph pictures: well-formed SVG, every node and edge label present and linked."""
from __future__ import annotations

import xml.etree.ElementTree as ET

from policykg.api.pages.drawing import GEdge, GNode, layout_svg, star_svg

SVG = "{http://www.w3.org/2000/svg}"


def _chain():
    nodes = [GNode("a", "区委书记", "/actors/A", "focus"), GNode("b", "城市社区党组织建设", "/actors/B"),
             GNode("c", "街道党工委书记", "/actors/C"), GNode("d", "社区党支部", "/actors/D", "end")]
    edges = [GEdge("a", "b", [("是第一责任人 · 第20条", "/id/doc/x/art/20", "区委书记是…第一责任人")]),
             GEdge("b", "c", [("直接责任人 · 第20条", "/id/doc/x/art/20", "")]),
             GEdge("c", "d", [("领导 · 第3条", "/id/doc/x/art/3", ""), ("设立 · 第3条", "/id/doc/x/art/3", "")])]
    return nodes, edges, {"a": 0, "b": 1, "c": 2, "d": 3}


def test_chain_svg_is_well_formed_and_labels_every_edge_with_a_link():
    nodes, edges, layers = _chain()
    svg = str(layout_svg(nodes, edges, layers, "责任链 <测试>", svg_id="t"))
    root = ET.fromstring(svg)
    assert root.tag == SVG + "svg" and root.get("role") == "img"
    assert root.find(SVG + "title").text == "责任链 <测试>"
    texts = ["".join(t.itertext()) for t in root.iter(SVG + "text")]
    for label in ("区委书记", "城市社区党组织建设", "街道党工委书记", "社区党支部"):
        assert label in texts
    for edge in edges:
        for text, href, _ in edge.lines:
            assert text in texts
    hrefs = [a.get("href") for a in root.iter(SVG + "a")]
    assert hrefs.count("/id/doc/x/art/3") == 2 and "/id/doc/x/art/20" in hrefs and "/actors/A" in hrefs
    assert len(root.findall(f".//{SVG}path[@marker-end]")) == 3


def test_layers_go_downwards_and_nodes_do_not_overlap():
    nodes, edges, layers = _chain()
    root = ET.fromstring(str(layout_svg(nodes, edges, layers, "x")))
    rects = [(float(r.get("x")), float(r.get("y")), float(r.get("width"))) for r in root.iter(SVG + "rect")]
    ys = [y for _, y, _ in rects]
    assert ys == sorted(ys) and len(set(ys)) == 4        # one row per layer, top to bottom
    width = float(root.get("width"))
    assert all(0 <= x and x + w <= width for x, _, w in rects)


def test_wide_layers_wrap_into_rows():
    nodes = [GNode(str(i), f"主体{i}") for i in range(9)]
    root = ET.fromstring(str(layout_svg(nodes, [], {str(i): 0 for i in range(9)}, "x", max_per_row=4)))
    rows = {float(r.get("y")) for r in root.iter(SVG + "rect")}
    assert len(rows) == 3


def test_text_is_escaped():
    root = ET.fromstring(str(layout_svg([GNode("a", "<b>&")], [], {"a": 0}, "t")))
    assert "<b>&" in ["".join(t.itertext()) for t in root.iter(SVG + "text")]


def test_no_nodes_no_picture():
    assert str(layout_svg([], [], {}, "t")) == ""


def test_hub_picture_puts_sources_left_and_targets_right():
    center = GNode("c", "社区党组织", "", "focus")
    incoming = [(GNode("a", "社区党组织书记", "/actors/A"), [("担任负责人 · 第6条", "/id/doc/x/art/6", "")])]
    outgoing = [(GNode(f"t{i}", f"主体{i}", f"/actors/T{i}"), [("领导 · 第5条", "/id/doc/x/art/5", "q"),
                                                            ("支持和保障 · 第4条第(3)项", "/id/doc/x/art/4/item/3", "")])
                for i in range(5)]
    root = ET.fromstring(str(star_svg(center, incoming, outgoing, "关系图", svg_id="s")))
    rects = {"".join(g.find(SVG + "text").itertext()): float(g.find(SVG + "rect").get("x"))
             for g in root.iter(SVG + "g") if (g.get("class") or "").startswith("node")}
    assert rects["社区党组织书记"] < rects["社区党组织"] < min(rects[f"主体{i}"] for i in range(5))
    texts = ["".join(t.itertext()) for t in root.iter(SVG + "text")]
    assert texts.count("支持和保障 · 第4条第(3)项") == 5
    assert len(root.findall(f".//{SVG}path[@marker-end]")) == 6
    # the targets' boxes do not overlap each other
    ys = sorted(float(g.find(SVG + "rect").get("y")) for g in root.iter(SVG + "g")
                if (g.get("class") or "").startswith("node") and "".join(g.find(SVG + "text").itertext()).startswith("主体"))
    assert len(ys) == 5 and all(b - a >= 34 for a, b in zip(ys, ys[1:]))
