"""HTML pages for policy staff and researchers: Chinese first, English with ``?lang=en``.

    /                         home: what the graph holds, a search box, entry points
    /search?q=                routes an actor name or a short question to its page or answer
    /document                 the policy, part by part and article by article (each unit's IRI
                              dereferences to it through :func:`render_resource`)
    /actors, /actors/<key>    the actors; one actor with relations, duties, norms and a picture
    /chain?from=&to=          responsibility chains between two actors, drawn as SVG
    /norms, /norms.csv        every numeric norm, sortable and filterable; CSV download
    /questions, /questions/<name>   a form for each named question of queries/*.rq
    /editor                   SPARQL editor (YASGUI when vendored, a plain form otherwise)

The pages read the data through the same Python functions the REST API uses
(:mod:`policykg.queries`), never through HTTP, and render graphs as SVG on the
server so that they work without JavaScript and without any network but the
service's own.
"""
from __future__ import annotations

import csv
import io
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from flask import (Blueprint, Response, abort, current_app, g, redirect, render_template, request,
                   url_for)
from markupsafe import Markup, escape

from policykg.api.state import get_state
from policykg.ontology.namespaces import PKG_URI, PREFIXES

bp = Blueprint("pages", __name__, template_folder="templates")

STATIC_DIR = Path(__file__).resolve().parent / "static"
LANGS = ("zh", "en")
LANG_COOKIE = "policykg_lang"


# --------------------------------------------------------------------------------------------
# Language: ?lang= wins (and is remembered in a cookie), then the cookie, then Chinese.
# --------------------------------------------------------------------------------------------
def _choose_language() -> str:
    asked = request.args.get("lang")
    if asked in LANGS:
        return asked
    cookie = request.cookies.get(LANG_COOKIE)
    return cookie if cookie in LANGS else "zh"


@bp.after_app_request
def _remember_language(response: Response) -> Response:
    # Any response to ?lang= remembers it, redirects included (they render nothing).
    asked = request.args.get("lang") if request.query_string else None
    if asked in LANGS and request.cookies.get(LANG_COOKIE) != asked:
        response.set_cookie(LANG_COOKIE, asked, max_age=365 * 24 * 3600, samesite="Lax")
    return response


def lang() -> str:
    """The reader's language, decided on first use in a request (so /sparql never pays for it)."""
    chosen = g.get("lang")
    if chosen is None:
        chosen = g.lang = _choose_language()
    return chosen


def t(zh: str, en: str) -> str:
    """The Chinese or the English wording, as the reader chose."""
    return en if lang() == "en" else zh


def url_with(**changes) -> str:
    """The current URL with some query parameters changed (None removes one)."""
    args = request.args.to_dict(flat=False)
    for key, value in changes.items():
        if value is None:
            args.pop(key, None)
        else:
            args[key] = [value]
    query = urlencode([(k, v) for k, vs in args.items() for v in vs])
    return request.path + ("?" + query if query else "")


@bp.app_context_processor
def _template_helpers() -> dict:
    return {"t": t, "lang": lang, "url_with": url_with, "label": label, "iri_url": iri_url,
            "cite_text": cite_text, "modality_name": modality_name, "short_iri": short_iri,
            "actor_options": actor_options, "own_text": own_text, "id_link": id_link}


# --------------------------------------------------------------------------------------------
# Labels and links
# --------------------------------------------------------------------------------------------
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
SKOS = PREFIXES["skos"]

_LABELS_QUERY = """
SELECT ?s ?p ?o WHERE {
  VALUES ?p { rdfs:label skos:prefLabel skos:altLabel skos:definition rdfs:comment skos:notation }
  ?s ?p ?o .
  FILTER(isIRI(?s) && isLiteral(?o))
}"""


@dataclass
class Names:
    """What the data calls one IRI, in each language."""

    zh: str = ""
    en: str = ""
    alt_zh: list = field(default_factory=list)
    alt_en: list = field(default_factory=list)
    definition_zh: str = ""
    definition_en: str = ""
    notation: str = ""


_CACHE_LOCK = threading.RLock()


def cached(key, make):
    """A value computed once per application state (cleared when the data change).

    Uses the state's cache dict with a re-entrant lock, so one cached value may be
    built from others."""
    cache = get_state().cache
    try:
        return cache[key]
    except KeyError:
        pass
    with _CACHE_LOCK:
        if key not in cache:
            cache[key] = make()
        return cache[key]


def _prologue() -> str:
    return "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in PREFIXES.items())


def select(query: str, bindings: dict | None = None) -> list[dict]:
    """A trusted page query over the store (prefixes added), with values bound safely."""
    return get_state().store.select(_prologue() + query, bindings)


def _load_names() -> dict[str, Names]:
    names: dict[str, Names] = {}
    for row in select(_LABELS_QUERY):
        iri, prop, lit = row["s"].value, row["p"].value, row["o"]
        tag = (getattr(lit, "language", None) or "").lower()
        entry = names.setdefault(iri, Names())
        text = lit.value
        if prop.endswith("altLabel"):
            (entry.alt_en if tag.startswith("en") else entry.alt_zh).append(text)
        elif prop.endswith("definition") or prop.endswith("comment"):
            if tag.startswith("en"):
                entry.definition_en = entry.definition_en or text
            elif tag.startswith("zh") or not tag:
                if prop.endswith("definition") or not entry.definition_zh:
                    entry.definition_zh = text if prop.endswith("definition") else (entry.definition_zh or text)
        elif prop.endswith("notation"):
            entry.notation = text
        else:  # rdfs:label, skos:prefLabel
            if tag.startswith("en"):
                entry.en = entry.en or text
            elif tag.startswith("zh") or not tag:
                if not entry.zh or prop == RDFS_LABEL:
                    entry.zh = text
    for entry in names.values():
        entry.alt_zh.sort(key=lambda s: (len(s), s))
        entry.alt_en.sort()
    return names


def names() -> dict[str, Names]:
    return cached("pages.names", _load_names)


def names_of(iri: str) -> Names:
    return names().get(str(iri), Names())


def local_name(iri: str) -> str:
    iri = str(iri)
    return re.split(r"[/#]", iri.rstrip("/#"))[-1]


def label(iri, language: str | None = None) -> str:
    """The label of ``iri`` in the reader's language, falling back to the other, then its name."""
    if iri is None:
        return ""
    iri = getattr(iri, "value", iri)
    entry = names().get(str(iri))
    language = language or lang()
    if entry:
        first, second = (entry.en, entry.zh) if language == "en" else (entry.zh, entry.en)
        if first or second:
            return first or second
    return local_name(iri)


def id_link(iri) -> str:
    """The service path that dereferences a minted IRI (its permalink), else the IRI."""
    iri = str(getattr(iri, "value", iri))
    prefix = base() + "id/"
    if iri.startswith(PKG_URI):
        return "/def/" + iri[len(PKG_URI):]
    return "/id/" + iri[len(prefix):] if iri.startswith(prefix) else iri


def actor_options() -> list[tuple[str, str]]:
    """(IRI, name) pairs for the completion list: every label and short form of every actor."""
    out, seen = [], set()
    for iri, entry in _actors().items():
        for text in [entry.zh, entry.en, *entry.alt_zh, *entry.alt_en]:
            if text and text not in seen:
                seen.add(text)
                out.append((iri, text))
    return out


def short_iri(iri: str) -> str:
    iri = str(iri)
    for prefix, ns in PREFIXES.items():
        if iri.startswith(ns) and len(iri) > len(ns):
            return f"{prefix}:{iri[len(ns):]}"
    return iri


def base() -> str:
    return get_state().base


def actor_key(iri: str) -> str:
    """The path segment of an actor page: ``ResidentsCommittee`` for pkg terms, ``id/agent/x`` otherwise."""
    iri = str(iri)
    if iri.startswith(PKG_URI):
        return iri[len(PKG_URI):]
    if iri.startswith(base() + "id/"):
        return iri[len(base()):]
    return "iri/" + iri


def actor_iri(key: str) -> str:
    if key.startswith("id/"):
        return base() + key
    if key.startswith("iri/"):
        return key[4:]
    return PKG_URI + key


def iri_url(iri) -> str:
    """Where a page shows ``iri``: units in the reader, actors on their page, other minted IRIs at /id/."""
    iri = str(getattr(iri, "value", iri))
    doc_prefix = base() + "id/doc/"
    if iri.startswith(doc_prefix):
        return "/id/" + iri[len(base() + "id/"):]
    if iri in _actors():
        return url_for("pages.actor", key=actor_key(iri))
    if iri.startswith(PKG_URI):
        return "/def/" + iri[len(PKG_URI):]
    if iri.startswith(base() + "id/"):
        return "/id/" + iri[len(base() + "id/"):]
    return iri


_CN_DIGITS = "零一二三四五六七八九十"


def cite_text(unit_iri) -> str:
    """How the policy itself numbers a unit: 第5条, 第4条第(3)项, 第二部分, 序言 ..."""
    iri = str(getattr(unit_iri, "value", unit_iri) or "")
    if lang() == "zh":
        try:
            index = clause_index()
            if iri in index.units:
                return index.label(index.units[iri])     # the REST area's citation form
        except Exception:  # noqa: BLE001 - no data loaded: fall back to the IRI's path
            pass
    path = iri.split("/id/doc/", 1)[-1].split("/", 1)[-1] if "/id/doc/" in iri else iri
    parts = path.split("/")
    words = []
    i = 0
    while i < len(parts):
        kind = parts[i]
        number = parts[i + 1] if i + 1 < len(parts) else ""
        if kind == "art":
            words.append(t(f"第{number}条", f"art. {number}"))
        elif kind == "item":
            words.append(t(f"第({number})项", f"item ({number})"))
        elif kind == "para":
            words.append(t(f"第{number}段", f"para. {number}"))
        elif kind == "part":
            n = int(number) if number.isdigit() else 0
            zh = _CN_DIGITS[n] if 0 < n <= 10 else number
            words.append(t(f"第{zh}部分", f"part {number}"))
        elif kind == "chapter":
            words.append(t(f"第{number}章", f"chapter {number}"))
        elif kind == "section":
            words.append(t(f"第{number}节", f"section {number}"))
        else:
            fixed = {"preamble": ("序言", "preamble"), "closing": ("结语", "closing"),
                     "signature": ("落款", "signature"), "keywords": ("主题词", "keywords"),
                     "imprint": ("印发", "imprint"), "title": ("标题", "title")}
            zh, en = fixed.get(kind, (kind, kind))
            words.append(t(zh, en))
            i += 1
            continue
        i += 2
    return "".join(words) if lang() == "zh" else ", ".join(words)


def modality_name(iri) -> str:
    return local_name(getattr(iri, "value", iri) or "") if iri else ""


# --------------------------------------------------------------------------------------------
# Graph pictures: a small layered layout rendered as inline SVG on the server (works without
# JavaScript; every node and every edge label is a link).
# --------------------------------------------------------------------------------------------
NODE_H = 34
ROW_GAP = 78
COL_GAP = 26
MARGIN = 16
LINE_H = 15


MAX_NODE_TEXT = 230.0   # px: longer node labels are shortened (the full label is the node's tooltip)


def fit_text(text: str, width: float = MAX_NODE_TEXT, size: float = 14.0) -> str:
    if text_width(text, size) <= width:
        return text
    out = ""
    for ch in text:
        if text_width(out + ch + "…", size) > width:
            break
        out += ch
    return out.rstrip() + "…"


def node_svg(node: "GNode") -> str:
    shown = fit_text(node.label)
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
               svg_id: str = "graph", max_per_row: int = 4) -> Markup:
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
        node.w = max(72.0, text_width(fit_text(node.label)) + 24)
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
        out.append(node_svg(node))
    out.extend(labels)  # labels last, so they sit above lines and boxes
    canvas_w = right
    out.insert(0, svg_open(svg_id, canvas_w, canvas_h, title))
    out.append("</svg>")
    return Markup("".join(out))


# --------------------------------------------------------------------------------------------
# Page-specific views of the data (the named questions come from policykg.queries)
# --------------------------------------------------------------------------------------------
KIND_QUERIES = {
    "actors": """SELECT (COUNT(DISTINCT ?a) AS ?n) WHERE {
        { ?s a pkg:RelationStatement ; rdf:subject ?a } UNION { ?s a pkg:RelationStatement ; rdf:object ?a }
        UNION { ?s pkg:bearer ?a } }""",
    "relations": "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a pkg:RelationStatement }",
    "norms": "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a pkg:Norm }",
    "numeric": "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a pkg:Norm ; pkg:hasConstraint ?c }",
    "clauses": """SELECT (COUNT(DISTINCT ?u) AS ?n) WHERE { ?u pkg:subdivisionType ?k .
        VALUES ?k { pkg:subdivisionArticle pkg:subdivisionItem pkg:subdivisionParagraph } }""",
}


def counts() -> dict[str, int]:
    def make():
        out = {}
        for kind, query in KIND_QUERIES.items():
            try:
                rows = select(query)
            except (SyntaxError, ValueError, OSError):  # a term the ontology lacks yet
                rows = []
            out[kind] = int(rows[0]["n"].value) if rows and "n" in rows[0] else 0
        return out
    return cached("pages.counts", make)


_ACTORS_QUERY = """
SELECT DISTINCT ?a WHERE {
  { ?s a pkg:RelationStatement ; rdf:subject ?a } UNION { ?s a pkg:RelationStatement ; rdf:object ?a }
  UNION { ?s a pkg:Norm ; pkg:bearer ?a }
  FILTER(isIRI(?a))
}"""


def _actors() -> dict[str, Names]:
    """Everything the statements relate or oblige (organizations, posts, people, tasks ...), by IRI."""
    def make():
        table = names()
        found = {}
        for row in select(_ACTORS_QUERY):
            iri = row["a"].value
            found[iri] = table.get(iri, Names())
        return dict(sorted(found.items(), key=lambda kv: (kv[1].zh or local_name(kv[0]))))
    return cached("pages.actors", make)


_DOCS_QUERY = """
SELECT ?doc ?title ?prefix WHERE {
  ?doc a ?type . VALUES ?type { eli:LegalResource eli:Work }
  OPTIONAL { ?doc eli:title ?t1 } OPTIONAL { ?doc dcterms:title ?t2 }
  BIND(COALESCE(?t1, ?t2, "") AS ?title)
  FILTER(STRSTARTS(STR(?doc), ?prefix))
}"""


def documents() -> list[tuple[str, str]]:
    """(iri, title) of each document in the store."""
    def make():
        import pyoxigraph as ox
        rows = select(_DOCS_QUERY, {"prefix": ox.Literal(base() + "id/doc/")})
        seen = {}
        for row in rows:
            iri = row["doc"].value
            if "/" in iri[len(base() + "id/doc/"):]:
                continue
            title = row.get("title").value if row.get("title") is not None else ""
            if title or iri not in seen:
                seen[iri] = title or seen.get(iri, "")
        return sorted(seen.items())
    return cached("pages.documents", make)


@dataclass
class ReaderUnit:
    """A unit of the document as the reader shows it: the clause index's unit, its sub-units
    and the statements it is the source of."""

    unit: object                      # policykg.queries.resolve.Unit
    children: list = field(default_factory=list)
    statements: list = field(default_factory=list)

    def __getattr__(self, name):
        return getattr(self.unit, name)

    @property
    def anchor(self) -> str:
        return self.unit.path.replace("/", "-") or "doc"


def document_units(doc: str) -> list:
    """Every unit of a document in document order (the REST area's clause index)."""
    prefix = doc + "/"
    return [u for u in clause_index().ordered() if u.iri.startswith(prefix)]


_STATEMENTS_BY_UNIT = """
SELECT ?st ?unit ?label ?type ?modality ?marker ?prefix ?lang WHERE {
  ?st prov:wasDerivedFrom ?unit ; a ?type .
  VALUES ?type { pkg:RelationStatement pkg:Norm }
  OPTIONAL { ?st rdfs:label ?label FILTER(LANGMATCHES(LANG(?label), ?lang)) }
  OPTIONAL { ?st pkg:modality ?modality }
  OPTIONAL { ?st pkg:modalMarker ?marker }
  FILTER(STRSTARTS(STR(?unit), ?prefix))
}"""


def statements_by_unit(doc: str, language: str) -> dict[str, list[dict]]:
    def make():
        import pyoxigraph as ox
        out: dict[str, dict[str, dict]] = {}
        for row in select(_STATEMENTS_BY_UNIT, {"prefix": ox.Literal(doc + "/"),
                                                "lang": ox.Literal(language)}):
            st = row["st"].value
            entry = out.setdefault(row["unit"].value, {}).setdefault(st, {
                "iri": st, "label": "", "kind": "relation", "modality": None, "marker": ""})
            if "label" in row:
                entry["label"] = row["label"].value
            if row["type"].value.endswith("Norm"):
                entry["kind"] = "norm"
            if "modality" in row:
                entry["modality"] = row["modality"].value
            if "marker" in row:
                entry["marker"] = row["marker"].value
        return {unit: sorted(sts.values(), key=lambda s: s["iri"]) for unit, sts in out.items()}
    return cached(("pages.statements_by_unit", doc, language), make)


def actor_terms() -> list[tuple[str, str]]:
    """(surface form, actor IRI), longest first: the Chinese labels and short forms to highlight."""
    def make():
        terms: dict[str, str] = {}
        for iri, entry in _actors().items():
            # labels of two characters and more (区委); short forms of three and more, so that
            # a two-character short form that is a common word (社区) does not mark every line
            for text, shortest in [(entry.zh, 2), *[(alt, 3) for alt in entry.alt_zh]]:
                text = (text or "").strip()
                if len(text) >= shortest and text not in terms:
                    terms[text] = iri
        return sorted(terms.items(), key=lambda kv: (-len(kv[0]), kv[0]))
    return cached("pages.actor_terms", make)


def highlight_actors(text: str) -> Markup:
    """The text with every actor it names (longest match first) marked and linked."""
    terms = actor_terms()
    if not text or not terms:
        return escape(text)
    pattern = cached("pages.actor_pattern",
                                 lambda: re.compile("|".join(re.escape(s) for s, _ in terms)))
    lookup = dict(terms)
    out, last = [], 0
    for match in pattern.finditer(text):
        iri = lookup[match.group(0)]
        out.append(escape(text[last:match.start()]))
        out.append(Markup('<a class="actor" href="{}" title="{}">{}</a>').format(
            iri_url(iri), label(iri), match.group(0)))
        last = match.end()
    out.append(escape(text[last:]))
    return Markup("").join(out)


# --------------------------------------------------------------------------------------------
# Named questions, resolution and chains: the REST area's Python functions, used directly.
# --------------------------------------------------------------------------------------------
def library():
    from policykg.queries.library import load_library
    return load_library()


def resolver():
    """The REST area's resolver of the current data (labels, short forms, clauses), shared with /api."""
    from policykg.api.state import resolver as rest_resolver
    return rest_resolver()


def clause_index():
    return resolver().clauses


def run_named(name: str, params: dict) -> dict:
    """Run one named question as the REST API does; ParameterError propagates to the caller."""
    from policykg.queries.library import get_query, run_query
    return run_query(get_query(name), get_state().store, params, resolver(), clause_index())


def resolve_candidates(text: str, limit: int = 10, kind: str | None = None) -> list[dict]:
    try:
        return list(resolver().candidates(text, kind=kind, limit=limit))
    except Exception:  # noqa: BLE001 - resolution is a convenience for the search box
        current_app.logger.exception("resolving %r failed", text)
        return []


# --------------------------------------------------------------------------------------------
# Routes
# --------------------------------------------------------------------------------------------
def page(template: str, active: str | None = None, **context) -> str:
    return render_template(f"pages/{template}", active=active, **context)


def main_document() -> str:
    """The IRI of the document the reader shows by default (the bundled policy)."""
    docs = documents()
    if docs:
        return docs[0][0]
    # No document typed yet: fall back to the prefix of the units.
    rows = select("SELECT ?u WHERE { ?u pkg:subdivisionType ?k } LIMIT 1")
    if rows:
        iri = rows[0]["u"].value
        prefix = base() + "id/doc/"
        if iri.startswith(prefix):
            return prefix + iri[len(prefix):].split("/", 1)[0]
    abort(404)


HOME_EXAMPLES = ("居委会", "居委会归谁领导", "社区党组织书记要做什么", "社区工作经费标准", "谁是第一责任人", "业委会")


@bp.route("/")
def home():
    doc = None
    try:
        doc = main_document()
    except Exception:  # noqa: BLE001 - the home page shows what there is
        doc = None
    return page("home.html", active="pages.home", counts=counts(), examples=HOME_EXAMPLES,
                doc=doc, doc_title=dict(documents()).get(doc, "") if doc else "")


def reader_tree(doc: str) -> list[ReaderUnit]:
    """The document as a tree: top-level units (preamble, parts, closing ...) with their sub-units."""
    units = document_units(doc)
    by_iri = {u.iri: ReaderUnit(u) for u in units}
    found = statements_by_unit(doc, lang())
    roots: list[ReaderUnit] = []
    current_part: ReaderUnit | None = None
    for unit in units:
        node = by_iri[unit.iri]
        node.statements = found.get(unit.iri, [])
        parent = by_iri.get(unit.parent) if unit.parent else None
        if parent is None and unit.kind in ("article", "paragraph") and current_part is not None:
            parent = current_part  # articles numbered flat still sit in their part
        if parent is not None:
            parent.children.append(node)
        else:
            roots.append(node)
        if unit.kind in ("part", "chapter"):
            current_part = node
        elif parent is None:
            current_part = None
    return roots


def unit_label(unit) -> str:
    """The citation of a unit in the reader's language."""
    return cite_text(unit.iri)


@bp.route("/document")
def document():
    doc = request.args.get("doc") or main_document()
    if not doc.startswith(base() + "id/doc/"):
        abort(404)
    tree = reader_tree(doc)
    if not tree:
        abort(404)
    return page("document.html", active="pages.document", doc=doc,
                title=dict(documents()).get(doc, "") or label(doc), tree=tree,
                highlight=highlight_actors, unit_label=unit_label)


def render_resource(iri: str):
    """HTML for an IRI under /id/ (linked_data calls this for text/html); None when not ours."""
    iri = str(iri)
    try:
        units = {u.iri: u for u in clause_index().ordered()}
    except Exception:  # noqa: BLE001 - no document loaded
        units = {}
    if iri in units:
        unit = units[iri]
        doc = iri[: iri.index("/", len(base() + "id/doc/"))] if "/" in iri[len(base() + "id/doc/"):] else iri
        return unit_page(doc, unit)
    if "/statement/" in iri and iri.startswith(base() + "id/doc/"):
        return statement_page(iri)
    if iri in _actors():
        return redirect(url_for("pages.actor", key=actor_key(iri)), code=303)
    if any(iri == d for d, _ in documents()):
        return redirect(url_for("pages.document", doc=iri) if iri != main_document()
                        else url_for("pages.document"), code=303)
    return None


def unit_page(doc: str, unit) -> str:
    """One clause on its own: its text with actors linked, its sub-units, its statements."""
    units = document_units(doc)
    children = [u for u in units if u.parent == unit.iri or
                (u.iri.startswith(unit.iri + "/") and u.iri.count("/") == unit.iri.count("/") + 2)]
    found = statements_by_unit(doc, lang())
    statements = list(found.get(unit.iri, []))
    for child in children:
        statements.extend(found.get(child.iri, []))
    index = [u.iri for u in units]
    pos = index.index(unit.iri)
    prev_unit = next((u for u in reversed(units[:pos]) if u.kind == unit.kind), None)
    next_unit = next((u for u in units[pos + 1:] if u.kind == unit.kind), None)
    parent = next((u for u in units if u.iri == unit.parent), None)
    reader_anchor = url_for("pages.document") + "#" + unit.path.replace("/", "-")
    return page("unit.html", active="pages.document", doc=doc, unit=unit, children=children,
                statements=statements, prev_unit=prev_unit, next_unit=next_unit, parent=parent,
                reader_anchor=reader_anchor, highlight=highlight_actors, unit_label=unit_label,
                doc_title=dict(documents()).get(doc, "") or label(doc))


def own_text(unit, children) -> str:
    """The words of a unit that belong to none of its sub-units (text before the first child)."""
    text = unit.text or ""
    kids = [getattr(c, "unit", c) for c in children]
    starts = [c.start for c in kids if c.start is not None]
    if unit.start is not None and starts and min(starts) >= unit.start:
        text = text[: min(starts) - unit.start]
    text = re.sub(r"[(（]\s*\d+\s*[)）]\s*$", "", text.strip()).strip()   # the first item's own number
    heading = (unit.heading or "").strip()
    if heading and unit.kind in ("part", "chapter", "section") and heading in text and len(text) <= len(heading) + 6:
        return ""
    if heading and text.startswith(heading):  # the heading is shown above the text
        text = text[len(heading):].lstrip("。.． \n")
    return text


# -- actors ----------------------------------------------------------------------------------
def _named_rows(name: str, params: dict) -> list[dict]:
    from policykg.queries.library import ParameterError
    try:
        return run_named(name, params)["rows"]
    except ParameterError:
        return []      # e.g. duties of something that is not an actor (a task)


def actor_relations(iri: str) -> tuple[dict, dict]:
    """Relations out of and into an actor (named question ``relations``), grouped by relation
    kind and by the other actor, each with its citations."""
    out: dict[str, dict] = {}
    into: dict[str, dict] = {}
    for row in _named_rows("relations", {"actor": iri}):
        s, p, o = row.get("subject"), row.get("predicate"), row.get("object")
        if not (s and p and o):
            continue
        group, other = (out, o) if s == iri else (into, s)
        entry = group.setdefault(p, {}).setdefault(other, {"other": other, "cites": [], "markers": set()})
        clause = row.get("clause")
        if clause and all(c["unit"] != clause for c in entry["cites"]):
            entry["cites"].append({"unit": clause, "quote": row.get("quote"), "statement": row.get("statement")})
        if row.get("modal_marker"):
            entry["markers"].add(row["modal_marker"])

    def order(groups):
        return {p: sorted(v.values(), key=lambda e: label(e["other"]))
                for p, v in sorted(groups.items(), key=lambda kv: label(kv[0]))}
    return order(out), order(into)


def actor_norms(iri: str) -> list[dict]:
    """The duties of an actor (named question ``duties``), one entry per norm, in text order."""
    norms: dict[str, dict] = {}
    for row in _named_rows("duties", {"actor": iri}):
        st = row.get("norm")
        if not st:
            continue
        entry = norms.setdefault(st, {"iri": st, "label": "", "modality": row.get("modality"),
                                      "marker": row.get("modal_marker") or "", "unit": row.get("clause"),
                                      "quote": row.get("quote") or "", "topics": row.get("topics") or "",
                                      "bearer": row.get("bearer")})
        entry["label"] = (names_of(st).en if lang() == "en" else "") or row.get("norm_label") or ""
    seq = {u.iri: u.sequence for u in clause_index().ordered()}
    return sorted(norms.values(), key=lambda n: (seq.get(n["unit"], 10 ** 6), n["iri"]))


def neighbourhood_svg(iri: str, out: dict, into: dict) -> Markup:
    """The actor in the middle, what relates to it on the left, what it relates to on the right."""
    sides: dict[str, dict[str, list]] = {"in": {}, "out": {}}
    for side, groups in (("in", into), ("out", out)):
        for prop, entries in groups.items():
            for entry in entries:
                other = entry["other"]
                if other == iri:
                    continue
                cite = entry["cites"][0]["unit"] if entry["cites"] else None
                quote = (entry["cites"][0]["quote"] or "") if entry["cites"] else ""
                text = label(prop) + (f" · {cite_text(cite)}" if cite else "")
                lines = sides[side].setdefault(other, [])
                if all(line[0] != text for line in lines):
                    lines.append((text, iri_url(cite) if cite else "", quote))
    if not sides["in"] and not sides["out"]:
        return Markup("")
    return star_svg(GNode(iri, label(iri), "", "focus"),
                    [(GNode(o, label(o), iri_url(o)), lines) for o, lines in sorted(
                        sides["in"].items(), key=lambda kv: label(kv[0]))],
                    [(GNode(o, label(o), iri_url(o)), lines) for o, lines in sorted(
                        sides["out"].items(), key=lambda kv: label(kv[0]))],
                    t(f"{label(iri)}的关系图", f"Relations of {label(iri)}"), svg_id="neighbourhood")


def star_svg(center: GNode, incoming: list, outgoing: list, title: str, svg_id: str = "star") -> Markup:
    """A hub picture: sources in a column on the left, the centre, targets on the right; each
    edge's relation and clause written beside the outer node it belongs to."""
    gap = 28
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


@bp.route("/actors")
def actors():
    return page("actors.html", active="pages.actors", groups=actor_groups())


@bp.route("/actors/<path:key>")
def actor(key: str):
    iri = actor_iri(key)
    entry = names().get(iri)
    if iri not in _actors() and entry is None:
        abort(404)
    out, into = actor_relations(iri)
    norms = actor_norms(iri)
    return page("actor.html", active="pages.actors", iri=iri, entry=entry or Names(), out=out, into=into,
                norms=norms, picture=neighbourhood_svg(iri, out, into))


ACTOR_GROUPS = (
    ("posts", "职务", "Posts", PREFIXES["org"] + "Post"),
    ("people", "人员", "People", PREFIXES["foaf"] + "Person"),
    ("tasks", "任务", "Tasks", PKG_URI + "Task"),
    ("mechanisms", "机制与做法", "Mechanisms and practices", PKG_URI + "CoordinationMechanism"),
    ("practices", "机制与做法", "Mechanisms and practices", PKG_URI + "Practice"),
)

_GROUP_QUERY = """
SELECT DISTINCT ?a ?top WHERE {
  { ?a rdfs:subClassOf* ?top } UNION { ?a a/rdfs:subClassOf* ?top }
  VALUES ?top { org:Post foaf:Person pkg:Task pkg:CoordinationMechanism pkg:Practice }
}"""


def actor_groups() -> list[tuple[str, str, list]]:
    """The actors grouped for the index: organizations, posts, people, tasks, mechanisms."""
    def make():
        try:
            rows = select(_GROUP_QUERY)
        except (SyntaxError, ValueError, OSError):
            rows = []
        group_of_top = {top: key for key, _zh, _en, top in ACTOR_GROUPS}
        member = {}
        for row in rows:
            key = group_of_top.get(row["top"].value)
            member.setdefault(row["a"].value, key)
        groups: dict[str, list] = {}
        for iri, entry in _actors().items():
            key = member.get(iri, "organizations")
            key = "mechanisms" if key == "practices" else key
            groups.setdefault(key, []).append((iri, entry))
        return groups
    groups = cached("actor_groups", make)
    titles = {"organizations": ("组织", "Organizations"), "posts": ("职务", "Posts"), "people": ("人员", "People"),
              "tasks": ("任务", "Tasks"), "mechanisms": ("机制与做法", "Mechanisms and practices")}
    return [(key, t(*titles[key]), groups[key]) for key in titles if groups.get(key)]


# -- numeric norms ---------------------------------------------------------------------------
NORM_COLUMNS = (
    ("clause_label", "条款", "Clause"), ("bearer_label", "责任主体", "Bearer"),
    ("subject_label", "对象", "What"), ("comparator", "比较", "Comparator"), ("value", "数值", "Value"),
    ("unit_label", "单位", "Unit"), ("period_label", "周期", "Period"), ("basis_label", "基数", "Basis"),
    ("value_text", "原文数值", "Words"), ("modal_marker", "情态", "Modality"), ("role", "类型", "Role"),
    ("norm_label", "规范", "Norm"), ("quote", "原文", "Quote"), ("clause", "条款IRI", "Clause IRI"),
)

_NORM_FACETS = """
SELECT ?norm ?topic ?bearer WHERE {
  ?norm a pkg:Norm .
  { ?norm pkg:topic ?topic } UNION { ?norm pkg:bearer ?bearer }
}"""


def norm_facets() -> dict[str, dict[str, set]]:
    def make():
        facets: dict[str, dict[str, set]] = {}
        for row in select(_NORM_FACETS):
            entry = facets.setdefault(row["norm"].value, {"topics": set(), "bearers": set()})
            if "topic" in row:
                entry["topics"].add(row["topic"].value)
            if "bearer" in row:
                entry["bearers"].add(row["bearer"].value)
        return facets
    return cached("norm_facets", make)


def numeric_norm_rows(params: dict) -> tuple[list[dict], str | None]:
    """The rows of the named question ``numeric_norms`` (filters passed through), or an error."""
    from policykg.queries.library import ParameterError
    try:
        result = run_named("numeric_norms", params)
    except ParameterError as exc:
        return [], exc.message
    seq = {u.iri: u.sequence for u in clause_index().ordered()}
    rows = sorted(result["rows"], key=lambda r: (seq.get(r.get("clause"), 10 ** 6), r.get("norm") or ""))
    return rows, None


def _norm_filters() -> dict:
    return {k: request.args[k] for k in ("topic", "bearer") if request.args.get(k)}


@bp.route("/norms")
def norms():
    filters = _norm_filters()
    rows, error = numeric_norm_rows(filters)
    facets = norm_facets()
    all_rows, _ = numeric_norm_rows({})
    topics = sorted({tp for r in all_rows for tp in facets.get(r.get("norm"), {}).get("topics", ())},
                    key=lambda i: label(i))
    bearers = sorted({b for r in all_rows for b in facets.get(r.get("norm"), {}).get("bearers", ())},
                     key=lambda i: label(i))
    return page("norms.html", active="pages.norms", rows=rows, error=error, facets=facets, topics=topics,
                bearers=bearers, filters=filters, columns=NORM_COLUMNS, local_name=local_name,
                csv_url=url_for("pages.norms_csv", **filters))


@bp.route("/norms.csv")
def norms_csv():
    rows, error = numeric_norm_rows(_norm_filters())
    if error:
        return Response(error + "\n", status=400, mimetype="text/plain")
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([name for name, _zh, _en in NORM_COLUMNS])
    for row in rows:
        writer.writerow(["" if row.get(name) is None else row.get(name) for name, _zh, _en in NORM_COLUMNS])
    return Response("\ufeff" + buffer.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=policykg-numeric-norms.csv"})


# -- named questions -------------------------------------------------------------------------
@bp.route("/questions")
def questions():
    return page("questions.html", active="pages.questions", library=list(library().values()))


def _cell(column: str, value):
    """How one answer cell is shown: IRIs as labelled links, clauses as citations."""
    if value is None or value == "":
        return ""
    if isinstance(value, str) and value.startswith(("http://", "https://")):
        if column == "clause":
            return Markup('<span class="cite"><a href="{}">{}</a></span>').format(iri_url(value), cite_text(value))
        return Markup('<a href="{}">{}</a>').format(iri_url(value), label(value))
    return value


# Chinese names of the parameters and columns the named questions use (English: the name itself).
FIELD_NAMES_ZH = {
    "actor": "主体", "about": "涉及主体", "bearer": "责任主体", "clause": "条款", "from": "起点", "to": "终点",
    "kind": "类型", "max_length": "最多步数", "modality": "情态", "payer": "承担方", "q": "检索词",
    "relation": "关系", "task": "任务", "topic": "主题", "leader": "领导方", "led": "被领导方",
    "mechanism": "机制", "member": "成员", "norm": "规范", "object": "对象", "subject": "主体", "predicate": "关系",
    "person": "责任人", "reports_to": "向谁述职", "role": "角色", "source": "起点", "target": "终点", "via": "经由",
    "node": "主体", "cost": "费用", "share": "比例", "deadline": "期限", "duration": "期间", "value": "数值",
    "value_text": "原文数值", "comparator": "比较", "modal_marker": "情态词", "quote": "原文", "passage": "段落",
    "statement": "陈述", "statement_kind": "陈述类型", "heading": "标题", "number": "编号", "text": "文本",
    "score": "得分", "depth": "层级", "distance": "步数", "path": "路径", "chain": "链", "step": "步",
    "length": "长度", "topics": "主题", "action": "行为", "unit": "条款", "unit_kind": "类型", "words": "词",
    "sequence": "顺序", "start": "起", "end": "止", "exact": "原文", "parent": "上级", "period": "周期",
    "basis": "基数", "unit_label": "单位", "bearers": "责任主体", "name": "名称", "names": "名称",
    "other": "另一主体", "acted_on": "客体",
}


def field_name(name: str) -> str:
    if name.endswith("_label") and name not in FIELD_NAMES_ZH:
        name = name[: -len("_label")]
    return FIELD_NAMES_ZH.get(name, name) if lang() == "zh" else name.replace("_", " ")


def display_columns(columns: list[str], params: set[str]) -> list[str]:
    """The answer columns worth showing: an IRI column stands for its ``_label`` twin, the
    citation is one column (clause), parameters echoed in every row are left out."""
    shown = []
    for c in columns:
        if c in params or c in ("article", "clause_label"):
            continue
        if c.endswith("_label") and c[: -len("_label")] in columns:
            continue
        shown.append(c)
    return shown


def answer_cell(row: dict, column: str):
    value = row.get(column)
    twin = row.get(column + "_label")
    if isinstance(value, str) and value.startswith(("http://", "https://")) and column != "clause" and twin:
        return Markup('<a href="{}">{}</a>').format(iri_url(value), label(value) if lang() == "en" else twin)
    if column == "clause" and isinstance(value, str) and value.startswith("http"):
        return Markup('<span class="cite"><a href="{}" title="{}">{}</a></span>').format(
            iri_url(value), row.get("quote") or "", cite_text(value))
    return _cell(column, value)


@bp.route("/questions/<name>")
def question(name: str):
    from policykg.queries.library import ParameterError
    lib = library()
    if name not in lib:
        abort(404)
    query = lib[name]
    params = {p.name: request.args[p.name] for p in query.params if request.args.get(p.name, "").strip()}
    submitted = bool(params) or request.args.get("run") == "1"
    result, error = None, None
    if submitted:
        try:
            result = run_named(name, params)
        except ParameterError as exc:
            error = exc
    shown = display_columns(result["columns"], {p.name for p in query.params}) if result else []
    nothing_found = None
    if result is not None and not result["rows"]:
        # Who leads X, where the text says no one: say so, and point to what it does say of X.
        from policykg.queries.ask import noted_actor, nothing_found_note
        nothing_found = nothing_found_note(name, result["params"], follow=False)
        if nothing_found is not None:
            nothing_found["url"] = url_for("pages.question", name="relations",
                                           actor=noted_actor(result["params"])["value"])
    return page("question.html", active="pages.questions", query=query, params=params, result=result,
                nothing_found=nothing_found,
                error=error, cell=answer_cell, submitted=submitted, shown=shown, field_name=field_name,
                api_url=f"/api/queries/{name}?" + urlencode(params) if params else f"/api/queries/{name}")


# -- SPARQL editor ---------------------------------------------------------------------------
YASGUI_FILES = ("vendor/yasgui/yasgui.min.js", "vendor/yasgui/yasgui.min.css")

DEFAULT_QUERY_BODY = """# {comment}
SELECT ?leader ?leader_label ?relation ?clause WHERE {{
  ?statement a pkg:RelationStatement ;
      rdf:subject ?leader ; rdf:predicate ?relation ; rdf:object pkg:ResidentsCommittee ;
      prov:wasDerivedFrom ?clause .
  ?leader rdfs:label ?leader_label FILTER(LANG(?leader_label) = "zh")
}}
ORDER BY ?clause
"""


def yasgui_available() -> bool:
    return all((STATIC_DIR / f).is_file() for f in YASGUI_FILES)


_WHERE = re.compile(r"\bWHERE\s*\{", re.IGNORECASE)


def example_sparql(query) -> str:
    """A named question as a runnable SPARQL text for the editor: its first example's
    parameters (resolved by the library, as the forms do) bound by BIND at the top of the
    WHERE clause, each value written as an RDF term (N-Triples syntax, never raw input)."""
    from policykg.queries.library import ParameterError, bind_params
    raw = dict(query.examples[0]) if query.examples else {}
    try:
        bindings, _resolved = bind_params(query, raw, resolver())
    except (ParameterError, KeyError, ValueError):
        return query.sparql
    match = _WHERE.search(query.sparql)
    if not bindings or match is None:
        return query.sparql
    shown = ", ".join(f"{k}={v}" for k, v in raw.items()) or t("无", "none")
    lines = [f"  # {t('示例参数', 'example parameters')}: {shown}"]
    lines += [f"  BIND({term} AS ?{name})" for name, term in sorted(bindings.items())]
    return query.sparql[:match.end()] + "\n" + "\n".join(lines) + query.sparql[match.end():]


@bp.route("/editor")
def editor():
    prologue = "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in PREFIXES.items()
                       if p in ("pkg", "rdf", "rdfs", "skos", "prov", "oa", "odrl", "eli", "org", "dcterms"))
    default = prologue + "\n" + DEFAULT_QUERY_BODY.format(
        comment=t("谁领导居民委员会?每个答案附条款。", "Who leads the residents' committee? Each answer with its clause."))
    examples = [{"name": q.name, "title": q.title_en if lang() == "en" else q.title_zh, "query": example_sparql(q)}
                for q in library().values()]
    query = request.args.get("query") or default
    return page("editor.html", active="pages.editor", yasgui=yasgui_available(), query=query,
                examples=examples, prefixes=PREFIXES)


# -- responsibility chains -------------------------------------------------------------------
CHAIN_DEFAULTS = {"from": "区委书记", "to": "社区党支部"}
CHAIN_DEFAULT_LENGTH = 8     # the policy's longest chain (区委书记 … 社区党支部) has 7 steps
CHAIN_MAX = 10


def _chains_module():
    try:
        from policykg.queries import chains
    except ImportError:
        return None
    return chains


def chain_svg(chains: list[dict], source: str, target: str) -> Markup:
    """Every chain drawn as one layered picture; each edge labelled with relation and clause."""
    nodes: dict[str, GNode] = {}
    layers: dict[str, int] = {}
    edges: dict[tuple[str, str], GEdge] = {}
    for chain in chains:
        for position, step in enumerate(chain["edges"]):
            for iri, depth in ((step["source"], position), (step["target"], position + 1)):
                if iri not in nodes:
                    css = "focus" if iri == source else "end" if iri == target else ""
                    nodes[iri] = GNode(iri, label(iri), iri_url(iri), css)
                layers[iri] = max(layers.get(iri, 0), depth)
            key = (step["source"], step["target"])
            edge = edges.setdefault(key, GEdge(*key))
            clause = step.get("clause")
            text = label(step["relation"]) + (f" · {cite_text(clause)}" if clause else "")
            if all(line[0] != text for line in edge.lines):
                edge.lines.append((text, iri_url(clause) if clause else "", step.get("quote") or ""))
    return layout_svg(list(nodes.values()), list(edges.values()), layers,
                      t(f"从{label(source)}到{label(target)}的责任链", f"Responsibility chains from {label(source)} to {label(target)}"),
                      svg_id="chain-graph", max_per_row=3)


def find_chains(source: str, target: str, max_length: int) -> list[dict]:
    """Chains between two actors, shortest first, from the REST area's chains module (networkx), as
    ``[{"edges": [{"source", "relation", "target", "clause", "quote", "statement"}]}]``."""
    chains = _chains_module()
    if chains is None:
        raise LookupError("chains")
    from policykg.api.state import actor_graph
    graph = actor_graph()
    paths = graph.chains(source, target, max_length)
    found: dict[int, dict] = {}
    for row in graph.chain_rows(paths):
        found.setdefault(row["chain"], {"edges": [], "path": row["path"]})["edges"].append(row)
    return [found[n] for n in sorted(found)]


@bp.route("/chain")
def chain():
    from policykg.queries.library import ParameterError
    asked = {"from": request.args.get("from", "").strip(), "to": request.args.get("to", "").strip()}
    try:
        max_length = max(1, min(CHAIN_MAX, int(request.args.get("max", str(CHAIN_DEFAULT_LENGTH)))))
    except ValueError:
        max_length = CHAIN_DEFAULT_LENGTH
    submitted = bool(asked["from"] or asked["to"])
    values = asked if submitted else dict(CHAIN_DEFAULTS)
    errors, resolved, chains, picture, unavailable = {}, {}, [], Markup(""), False
    for end in ("from", "to"):
        if not values[end]:
            errors[end] = t("请输入主体。", "Name an actor.")
            continue
        try:
            resolved[end] = resolver().resolve_one(values[end], kind="actor", parameter=end)
        except ParameterError as exc:
            errors[end] = exc
    if not errors:
        try:
            chains = find_chains(resolved["from"]["iri"], resolved["to"]["iri"], max_length)
        except LookupError:
            unavailable = True
        picture = chain_svg(chains, resolved["from"]["iri"], resolved["to"]["iri"]) if chains else Markup("")
    return page("chain.html", active="pages.chain", values=values, resolved=resolved, errors=errors,
                chains=chains, picture=picture, max_length=max_length, unavailable=unavailable,
                ParameterError=ParameterError)


# -- search ----------------------------------------------------------------------------------
def ask_router(question: str) -> dict | None:
    """REST's question router (the logic behind /api/ask): which named question (and
    parameters) a short Chinese question means, or None."""
    from policykg.queries.ask import route
    routed = route(question, get_state().store, resolver())
    if routed is None:
        return None
    name, params, _rule = routed
    return {"name": name, "params": params}


@bp.route("/search")
def search():
    from policykg.queries.library import ParameterError
    q = request.args.get("q", "").strip()[:200]
    if not q:
        return redirect(url_for("pages.home"))
    candidates = resolve_candidates(q, limit=12)
    exact = [c for c in resolve_candidates(q, limit=3, kind="actor") if c.get("score", 0) >= 85]
    # 1. the whole input names one actor: go to its page
    if len(exact) == 1 or (exact and exact[0]["score"] > exact[1]["score"]):
        return redirect(iri_url(exact[0]["iri"]))
    # 2. a question the router understands: go to that named question's answer
    routed = ask_router(q)
    if routed and routed.get("name"):
        return redirect(url_for("pages.question", name=routed["name"], **routed.get("params", {})))
    # 3. otherwise: the actors it may mean and the clauses that contain it
    hits, error = [], None
    try:
        hits = run_named("search", {"q": q})["rows"]
    except ParameterError as exc:
        error = exc.message
    except KeyError:
        hits = []
    return page("search.html", active=None, q=q, candidates=candidates, hits=hits, error=error, cell=_cell)


# -- one statement ---------------------------------------------------------------------------
_STATEMENT_QUERY = """
SELECT ?p ?o ?st WHERE {
  ?st ?p ?o .
  FILTER(?p IN (rdf:type, rdf:subject, rdf:predicate, rdf:object, rdfs:label, pkg:modality, pkg:modalMarker,
                prov:wasDerivedFrom, pkg:bearer, pkg:action, pkg:normObject, pkg:topic, pkg:hasConstraint))
}"""
_STATEMENT_QUOTE = """
SELECT ?exact ?prefix ?suffix ?st WHERE {
  ?st oa:hasTarget/oa:hasSelector ?sel . ?sel a oa:TextQuoteSelector ; oa:exact ?exact .
  OPTIONAL { ?sel oa:prefix ?prefix } OPTIONAL { ?sel oa:suffix ?suffix }
} LIMIT 1"""


def statement_page(iri: str):
    """A statement or norm: what it says, its parties, its modality and the words it comes from."""
    import pyoxigraph as ox
    props: dict[str, list] = {}
    for row in select(_STATEMENT_QUERY, {"st": ox.NamedNode(iri)}):
        props.setdefault(local_name(row["p"].value), []).append(row["o"])
    if not props:
        return None
    labels = {(getattr(o, "language", "") or ""): o.value for o in props.get("label", [])}
    quote = select(_STATEMENT_QUOTE, {"st": ox.NamedNode(iri)})
    values = sorted({row["v"].value for row in select(
        "SELECT ?v ?st WHERE { ?st pkg:hasConstraint|pkg:condition ?c . ?c pkg:valueText ?v }",
        {"st": ox.NamedNode(iri)})})
    props["type"] = [ty for ty in props.get("type", []) if ty.value.startswith(PKG_URI)]
    title = (labels.get("en") if lang() == "en" else None) or labels.get("zh") or labels.get("en") or local_name(iri)
    return page("statement.html", active="pages.document", iri=iri, props=props, title=title,
                quote=quote[0] if quote else None, values=values)
