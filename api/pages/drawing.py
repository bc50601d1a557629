"""Graph pictures drawn on the server as inline SVG: a small layered layout (chains) and a hub
picture (an actor's neighbourhood). They work without JavaScript, and every node and every
edge label is a link."""
from __future__ import annotations

from dataclasses import dataclass, field

from markupsafe import Markup, escape

# --------------------------------------------------------------------------------------------
NODE_H = 34
ROW_GAP = 78
COL_GAP = 26
MARGIN = 16
LINE_H = 15


MAX_NODE_TEXT = 230.0   # px: longer node labels are shortened (the full label is the node's tooltip)
MAX_EDGE_TEXT = 210.0   # px at 12 px: longer edge labels (English relation names) likewise


def fit_text(text: str, width: float = MAX_NODE_TEXT, size: float = 14.0) -> str:
    if text_width(text, size) <= width:
        return text
    out = ""
    for ch in text:
        if text_width(out + ch + "…", size) > width:
            break
        out += ch
    return out.rstrip() + "…"


def edge_lines(lines: list) -> list:
    """Edge label lines shortened to MAX_EDGE_TEXT, each keeping its full words as its tooltip."""
    out = []
    for text, href, tip in lines:
        shown = fit_text(text, MAX_EDGE_TEXT, 12.0)
        out.append((shown, href, tip if shown == text else (f"{text}: {tip}" if tip else text)))
    return out


def node_svg(node: "GNode", max_text: float = MAX_NODE_TEXT) -> str:
    shown = fit_text(node.label, max_text)
    tip = f"<title>{escape(node.label)}</title>" if shown != node.label else ""
    box = (f'<g class="node {node.css}">{tip}<rect x="{node.x:.1f}" y="{node.y:.1f}" width="{node.w:.1f}" '
           f'height="{NODE_H}" rx="6"/><text x="{node.x + node.w / 2:.1f}" y="{node.y + NODE_H / 2 + 5:.1f}" '
           f'text-anchor="middle">{escape(shown)}</text></g>')
    return f'<a href="{escape(node.href)}">{box}</a>' if node.href else box


def text_width(text: str, size: float = 14.0) -> float:
    """Rough rendered width: CJK characters are square, Latin ones about half as wide."""
    width = 0.0
    for ch in text:
        width += size if ord(ch) >= 0x2E80 else size * 0.55
    return width


@dataclass
class GNode:
    id: str
    label: str
    href: str = ""
    css: str = ""
    x: float = 0.0
    y: float = 0.0
    w: float = 0.0


@dataclass
class GEdge:
    source: str
    target: str
    lines: list = field(default_factory=list)   # [(text, href, title)]


def _bezier(p0, p1, p2, p3, t_: float):
    u = 1 - t_
    return tuple(u ** 3 * a + 3 * u * u * t_ * b + 3 * u * t_ * t_ * c + t_ ** 3 * d
                 for a, b, c, d in zip(p0, p1, p2, p3))


def svg_open(svg_id: str, width: float, height: float, title: str, css: str = "") -> str:
    """The opening of a diagram: its size, its accessible title, and the arrowhead its
    edges use (``url(#<svg_id>-arrow)``)."""
    cls = f' class="{css}"' if css else ""
    return (f'<svg xmlns="http://www.w3.org/2000/svg" id="{escape(svg_id)}"{cls} role="img" '
            f'aria-labelledby="{escape(svg_id)}-title" viewBox="0 0 {width:.0f} {height:.0f}" '
            f'width="{width:.0f}" height="{height:.0f}"><title id="{escape(svg_id)}-title">{escape(title)}</title>'
            f'<defs><marker id="{escape(svg_id)}-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
            f'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#7b8496"/>'
            f'</marker></defs>')


def _overlaps(a, b, pad: float = 3.0) -> bool:
    return not (a[2] + pad <= b[0] or b[2] + pad <= a[0] or a[3] + pad <= b[1] or b[3] + pad <= a[1])


def layout_svg(nodes: list[GNode], edges: list[GEdge], layers: dict[str, int], title: str,
               svg_id: str = "graph", max_per_row: int = 4, max_text: float = MAX_NODE_TEXT,
               css: str = "") -> Markup:
    """Lay nodes out in rows by layer (top to bottom) and draw labelled edges between them.

    Gaps between rows grow with the edge labels they must hold; each label block is placed
    near the middle of its edge, moved aside when it would cover another label or a node."""
    if not nodes:
        return Markup("")
    by_id = {n.id: n for n in nodes}
    rows: list[list[GNode]] = []
    for layer in sorted(set(layers.get(n.id, 0) for n in nodes)):
        members = [n for n in nodes if layers.get(n.id, 0) == layer]
        for start in range(0, len(members), max_per_row):
            rows.append(members[start:start + max_per_row])
    row_of = {n.id: r for r, row in enumerate(rows) for n in row}
    for node in nodes:
        node.w = max(72.0, text_width(fit_text(node.label, max_text)) + 24)
    edges = [GEdge(e.source, e.target, edge_lines(e.lines)) for e in edges]
    widths = [sum(n.w for n in row) + COL_GAP * (len(row) - 1) for row in rows]
    canvas_w = max(widths) + 2 * MARGIN
    for edge in edges:
        for text, _href, _title in edge.lines:
            canvas_w = max(canvas_w, text_width(text, 12) + 2 * MARGIN)
    # each gap holds the label blocks of the edges that cross it (stacked when they converge)
    need = [0.0] * max(len(rows) - 1, 0)
    for edge in edges:
        if edge.source in row_of and edge.target in row_of:
            a, b = sorted((row_of[edge.source], row_of[edge.target]))
            if a != b:
                gap = (a + b - 1) // 2
                need[gap] += len(edge.lines) * LINE_H + 4
    gaps = [max(ROW_GAP, n + 40) for n in need]
    y = MARGIN
    row_y = []
    for r in range(len(rows)):
        row_y.append(y)
        y += NODE_H + (gaps[r] if r < len(gaps) else 0)
    canvas_h = y + MARGIN
    for r, (row, width) in enumerate(zip(rows, widths)):
        x = (canvas_w - width) / 2
        for node in row:
            node.x, node.y = x, row_y[r]
            x += node.w + COL_GAP
    boxes = [(n.x, n.y, n.x + n.w, n.y + NODE_H) for n in nodes]
    marker = f"{svg_id}-arrow"
    out: list[str] = []
    labels = []
    right = canvas_w
    for edge in edges:
        s, d = by_id.get(edge.source), by_id.get(edge.target)
        if s is None or d is None:
            continue
        sx, dx = s.x + s.w / 2, d.x + d.w / 2
        skipped = [n for n in nodes if min(row_of[s.id], row_of[d.id]) < row_of[n.id] < max(row_of[s.id], row_of[d.id])]
        if row_of[d.id] > row_of[s.id] and skipped:
            # an edge that skips rows swings out to the right of the nodes it passes
            p0, p3 = (s.x + s.w, s.y + NODE_H / 2), (d.x + d.w, d.y + NODE_H / 2)
            clear = max(n.x + n.w for n in skipped) + 36
            reach = (clear - max(p0[0], p3[0])) / 0.75 + 30
            p1, p2 = (p0[0] + reach, p0[1]), (p3[0] + reach, p3[1])
        elif row_of[d.id] > row_of[s.id]:
            p0, p3 = (sx, s.y + NODE_H), (dx, d.y)
            bend = (p3[1] - p0[1]) / 2
            p1, p2 = (p0[0], p0[1] + bend), (p3[0], p3[1] - bend)
        elif row_of[d.id] < row_of[s.id]:
            p0, p3 = (sx, s.y), (dx, d.y + NODE_H)
            bend = (p3[1] - p0[1]) / 2
            p1, p2 = (p0[0], p0[1] + bend), (p3[0], p3[1] - bend)
        else:  # same row: an arc above
            p0, p3 = (sx, s.y), (dx, d.y)
            p1, p2 = (sx, s.y - ROW_GAP * 0.6), (dx, d.y - ROW_GAP * 0.6)
        path = (f"M{p0[0]:.1f},{p0[1]:.1f} C{p1[0]:.1f},{p1[1]:.1f} {p2[0]:.1f},{p2[1]:.1f} "
                f"{p3[0]:.1f},{p3[1]:.1f}")
        out.append(f'<g class="edge"><path d="{path}" marker-end="url(#{marker})"/></g>')
        # the label block: near the middle of the edge, moved until it covers nothing
        w = max(text_width(text, 12) for text, _h, _t in edge.lines) + 8
        h = len(edge.lines) * LINE_H
        best = None
        for t_ in (0.5, 0.4, 0.6, 0.3, 0.7, 0.25, 0.75):
            mx, my = _bezier(p0, p1, p2, p3, t_)
            for dx_ in (0, w * 0.55, -w * 0.55, w * 1.1, -w * 1.1):
                cx = max(mx + dx_, w / 2 + 2)
                box = (cx - w / 2, my - h / 2, cx + w / 2, my + h / 2)
                if not any(_overlaps(box, other) for other in boxes):
                    best = (cx, my, box)
                    break
            if best:
                break
        if best is None:
            mx, my = _bezier(p0, p1, p2, p3, 0.5)
            best = (mx, my, (mx - w / 2, my - h / 2, mx + w / 2, my + h / 2))
        cx, cy, box = best
        boxes.append(box)
        right = max(right, box[2] + MARGIN, p1[0] * 0.75 + p0[0] * 0.25 + MARGIN)
        top = cy - h / 2 + LINE_H - 3
        parts = ['<g class="edge">']
        for i, (text, href, tip) in enumerate(edge.lines):
            ty = top + i * LINE_H
            tip_xml = f"<title>{escape(tip)}</title>" if tip else ""
            body = f'<text x="{cx:.1f}" y="{ty:.1f}" text-anchor="middle">{escape(text)}</text>'
            parts.append(f'<a href="{escape(href)}">{tip_xml}{body}</a>' if href else f"<g>{tip_xml}{body}</g>")
        parts.append("</g>")
        labels.append("".join(parts))
    for node in nodes:
        out.append(node_svg(node, max_text))
    out.extend(labels)  # labels last, so they sit above lines and boxes
    canvas_w = right
    out.insert(0, svg_open(svg_id, canvas_w, canvas_h, title, css=css))
    out.append("</svg>")
    return Markup("".join(out))


def star_svg(center: GNode, incoming: list, outgoing: list, title: str, svg_id: str = "star") -> Markup:
    """A hub picture: sources in a column on the left, the centre, targets on the right; each
    edge's relation and clause written beside the outer node it belongs to."""
    gap = 28
    incoming = [(n, edge_lines(lines)) for n, lines in incoming]
    outgoing = [(n, edge_lines(lines)) for n, lines in outgoing]
    for node in [center] + [n for n, _ in incoming + outgoing]:
        node.w = max(72.0, text_width(fit_text(node.label)) + 24)

    def column(entries):
        heights = [max(NODE_H, 2 * len(lines) * LINE_H - NODE_H / 2) + 10 for _n, lines in entries]
        return heights, sum(heights)

    in_h, in_total = column(incoming)
    out_h, out_total = column(outgoing)
    label_w = lambda entries: max([text_width(text, 12) for _n, lines in entries for text, _h, _t in lines] or [0])  # noqa: E731
    left_w = max([n.w for n, _ in incoming] or [0])
    right_w = max([n.w for n, _ in outgoing] or [0])
    in_label_w, out_label_w = label_w(incoming), label_w(outgoing)
    height = max(in_total, out_total, NODE_H + 20) + 2 * MARGIN
    x_left = MARGIN
    x_center = x_left + (left_w + 8 + in_label_w + gap if incoming else 0)
    x_right = x_center + center.w + gap + (out_label_w + 8 if outgoing else 0)
    width = x_right + right_w + MARGIN if outgoing else x_center + center.w + MARGIN
    center.x, center.y = x_center, (height - NODE_H) / 2
    marker = f"{svg_id}-arrow"
    parts, labels = [], []

    def place(entries, heights, x_col, col_w, total, side):
        y = (height - total) / 2
        for (node, lines), h in zip(entries, heights):
            node.x = x_col + (col_w - node.w if side == "in" else 0)
            node.y = y + (h - NODE_H) / 2
            mid = node.y + NODE_H / 2
            # a straight run beside the outer node carries the labels; the curve joins it to the centre
            if side == "in":
                start, bend = (node.x + node.w, mid), (x_center - gap, mid)
                p0, p3 = bend, (center.x, center.y + NODE_H / 2)
                tx, anchor = node.x + node.w + 6, "start"
                run = f"M{start[0]:.1f},{start[1]:.1f} L{bend[0]:.1f},{bend[1]:.1f} "
                dx = (p3[0] - p0[0]) / 2
                path = run + f"C{p0[0] + dx:.1f},{p0[1]:.1f} {p3[0] - dx:.1f},{p3[1]:.1f} {p3[0]:.1f},{p3[1]:.1f}"
            else:
                p0, bend, end = (center.x + center.w, center.y + NODE_H / 2), (x_center + center.w + gap, mid), (node.x, mid)
                dx = (bend[0] - p0[0]) / 2
                path = (f"M{p0[0]:.1f},{p0[1]:.1f} C{p0[0] + dx:.1f},{p0[1]:.1f} {bend[0] - dx:.1f},{bend[1]:.1f} "
                        f"{bend[0]:.1f},{bend[1]:.1f} L{end[0]:.1f},{end[1]:.1f}")
                tx, anchor = node.x - 6, "end"
            parts.append(f'<g class="edge"><path d="{path}" marker-end="url(#{marker})"/></g>')
            top = mid - (len(lines) - 1) * LINE_H - 4   # lines stack upwards from the run
            block = ['<g class="edge">']
            for i, (text, href, tip) in enumerate(lines):
                tip_xml = f"<title>{escape(tip)}</title>" if tip else ""
                body = (f'<text x="{tx:.1f}" y="{top + i * LINE_H:.1f}" text-anchor="{anchor}">'
                        f'{escape(text)}</text>')
                block.append(f'<a href="{escape(href)}">{tip_xml}{body}</a>' if href else f"<g>{tip_xml}{body}</g>")
            block.append("</g>")
            labels.append("".join(block))
            y += h

    place(incoming, in_h, x_left, left_w, in_total, "in")
    place(outgoing, out_h, x_right, right_w, out_total, "out")
    boxes = []
    for node in [center] + [n for n, _ in incoming + outgoing]:
        boxes.append(node_svg(node))
    head = svg_open(svg_id, width, height, title, css="wide")
    return Markup(head + "".join(parts) + "".join(boxes) + "".join(labels) + "</svg>")
