"""The document parser: a Chinese policy text → its metadata and its units.

Offsets: every ``start``/``end`` counts Unicode code points into ``Document.text``, the
*normalized* source (see :mod:`policykg.loader.text`: UTF-8 or GB18030 decoded, BOM dropped,
CRLF/CR → LF), so ``document.text[unit.start:unit.end] == unit.text`` always holds.

Rules (each is a choice a reader may want to know):

* A unit's text is its whole extent: from just after its number label (``3.``, ``(1)``,
  ``第三条``; the label itself is kept in ``number``) to the end of its last line, nested
  units included, surrounding whitespace excluded. So a child's span lies in its parent's.
  (A bare 第X章 line whose content begins on later lines starts there; one with nothing under
  it at all keeps its label as text, so that no unit is ever empty.)
* Numbering styles found at line starts are ranked: 第X部分 > 第X章 > 第X节 > 第X条 are fixed;
  enumerations (一、 / （一） / 1. / （1） / ①) rank in the order the document first uses them.
  Their kinds: with 第X条 articles, enumerations are items (then sub-items); with chapters but
  no 第X条, the first enumeration is the article; otherwise, when 一、 is the outermost of two
  or more enumeration levels, they read as part, article, item, sub-item; else the outermost
  level is the article (1. with (1) items; a single level of any style).
* Parenthesized items may also be written inside an article's paragraph (article 4 of the
  bundled policy lists (1)…(6) in one line); see :func:`numbering.find_inline_items`.
* Unnumbered paragraphs before the first numbered unit form the preamble. Elsewhere an
  unnumbered paragraph belongs to the innermost open part/chapter/section/article as a
  paragraph (``…/para/M``). When an article has continuation paragraphs, its first
  paragraph (the one carrying the label) is ``para/1``, as 款 are counted in Chinese law.
* Closing: unnumbered paragraphs after the last article are the document's closing
  paragraph, *unless* some other article also has continuation paragraphs — then the
  document writes articles with several paragraphs and they are the last article's.
* Trailer (bottom up): the printing line (``…年…月…日印发``, and 抄送 lines) is the imprint,
  the ``主题词：`` line the keywords, a date line with the issuer line above it the signature.
* Web-page chrome at the top (site name, breadcrumb with ``>``, 发布时间/来源, 核心提示)
  is not policy text: no unit covers it; it yields the publisher and publication time.
  The first other line before the body is the title.
* Article headings are the opening phrase up to the first 。 or ：/: when it is short (≤ 30
  characters), has no comma or semicolon, and more text follows; 第X条 articles take a heading
  only from 【…】. Part, chapter and section headings are the text after the label.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

from policykg import iris
from policykg.loader import metadata as meta
from policykg.loader.numbering import PAREN_STYLES, Label, find_inline_items, match_label
from policykg.loader.text import SourceError, read_source
from policykg.settings import DEFAULT_BASE

__all__ = ["Document", "Metadata", "Unit", "SourceError", "parse_document", "parse_text"]

STRUCTURAL_KINDS = ("part", "chapter", "section", "article")
HEADING_MAX = 30
QUOTE_CONTEXT = 20  # characters of prefix and suffix in a TextQuoteSelector
_WS = " \t\u00a0\u3000"


@dataclass
class Unit:
    iri: str
    path: str
    kind: str              # preamble, part, chapter, section, article, paragraph, item, subitem,
                           # closing, signature, keywords, imprint
    number: str | None     # the label as written, without its separator: 一, 4, (1), 第三条
    ordinal: int | None    # its value; for paragraphs, the position among the parent's paragraphs
    heading: str | None
    text: str
    start: int
    end: int
    parent: str | None     # IRI of the parent unit, None at the top
    sequence: int = 0      # 1-based position in document order

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class Metadata:
    title: str | None = None
    issuer: str | None = None
    date: str | None = None                  # ISO 8601, only as precise as written: 2011-06
    printer: str | None = None
    print_date: str | None = None
    publisher: str | None = None
    publication_datetime: str | None = None  # 2015-06-10T10:13:56
    doc_type: str | None = None
    language: str = "zh"
    keywords: list[str] = field(default_factory=list)

    def __getitem__(self, name: str):
        return getattr(self, name)

    def get(self, name: str, default=None):
        return getattr(self, name, default)

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class Document:
    doc_id: str
    iri: str
    source_path: Path
    text: str
    metadata: Metadata
    units: list[Unit]

    def __post_init__(self):
        self._by_path = {u.path: u for u in self.units}
        self._by_iri = {u.iri: u for u in self.units}

    @property
    def expression_iri(self) -> str:
        return iris.expression_iri(self.iri, self.metadata.language)

    def unit(self, path: str) -> Unit:
        """The unit at ``path`` (``art/4``, ``art/4/item/1``); KeyError if absent."""
        return self._by_path[path]

    def unit_by_iri(self, iri: str) -> Unit:
        return self._by_iri[iri]

    def children(self, unit: Unit | None) -> list[Unit]:
        """Direct children of ``unit`` (top-level units for None), in document order."""
        parent = unit.iri if unit else None
        return [u for u in self.units if u.parent == parent]

    def of_kind(self, kind: str) -> list[Unit]:
        return [u for u in self.units if u.kind == kind]

    def locate(self, exact: str, path: str | None = None, occurrence: int | None = None) -> tuple[int, int]:
        """Offsets ``(start, end)`` of ``exact`` in the text (within unit ``path`` if given).

        ``occurrence`` (1-based) picks one of several matches; without it a quote that occurs more
        than once is ambiguous and refused, so a citation never silently points at the wrong words.
        Raises ValueError (not found, ambiguous) or KeyError (no such unit).
        """
        if not exact:
            raise ValueError("empty quote")
        lo, hi = (0, len(self.text)) if path is None else (self.unit(path).start, self.unit(path).end)
        hits, pos = [], self.text.find(exact, lo, hi)
        while pos != -1:
            hits.append(pos)
            pos = self.text.find(exact, pos + 1, hi)
        where = f"unit {path}" if path else "the document"
        if not hits:
            raise ValueError(f"quote {exact!r} not found in {where} of {self.doc_id}")
        if occurrence is None and len(hits) > 1:
            raise ValueError(f"quote {exact!r} occurs {len(hits)} times in {where} of {self.doc_id}; "
                             "give an occurrence or a longer quote")
        index = (occurrence or 1) - 1
        if not 0 <= index < len(hits):
            raise ValueError(f"quote {exact!r} has no occurrence {occurrence} in {where} of {self.doc_id}")
        return hits[index], hits[index] + len(exact)

    def context(self, start: int, end: int, width: int = QUOTE_CONTEXT) -> tuple[str, str, str]:
        """``(prefix, exact, suffix)`` for a TextQuoteSelector over ``[start, end)``."""
        return self.text[max(0, start - width):start], self.text[start:end], self.text[end:end + width]

    def unit_at(self, start: int, end: int | None = None) -> Unit | None:
        """The most specific unit whose span contains ``[start, end)``."""
        end = start if end is None else end
        best = None
        for u in self.units:
            if u.start <= start and end <= u.end and (best is None or u.end - u.start <= best.end - best.start):
                best = u
        return best


@dataclass
class _Line:
    index: int
    start: int      # offset of the first non-blank character
    end: int        # offset after the last non-blank character
    content: str


@dataclass
class _Node:
    kind: str
    rank: int
    line: _Line | None
    label: Label | None = None
    start: int = 0
    end: int = 0
    children: list["_Node"] = field(default_factory=list)
    parent: "_Node | None" = None
    ordinal: int | None = None
    heading: str | None = None
    path: str = ""


def _lines(text: str) -> list[_Line]:
    lines, pos = [], 0
    for index, raw in enumerate(text.split("\n")):
        stripped = raw.strip(_WS)
        if stripped:
            lead = len(raw) - len(raw.lstrip(_WS))
            lines.append(_Line(index, pos + lead, pos + lead + len(stripped), stripped))
        pos += len(raw) + 1
    return lines


def _split_header(lines: list[_Line], md: Metadata) -> int:
    """Skip web chrome and the title at the top; return the index of the first body line."""
    header_end = 0
    for i, line in enumerate(lines[:20]):
        if match_label(line.content) or "。" in line.content or len(line.content) > 80:
            break
        header_end = i + 1
    header = lines[:header_end]
    last_crumb = max((i for i, ln in enumerate(header) if meta.BREADCRUMB_RE.search(ln.content)), default=-1)
    body_start = 0
    for i, line in enumerate(header):
        if i <= last_crumb or meta.is_chrome(line.content):
            for key, value in meta.chrome_fields(line.content).items():
                setattr(md, key, value)
            body_start = i + 1
        elif md.title is None:
            md.title = line.content
            body_start = i + 1
        elif not meta.doc_type(md.title) and meta.doc_type(md.title + line.content):
            md.title += line.content  # a long title broken over two lines: 关于…\n…的意见
            body_start = i + 1
        else:
            break  # further header lines (a subtitle, a file number) stay in the preamble
    return body_start


def _split_trailer(lines: list[_Line], body_start: int, md: Metadata) -> tuple[int, list[_Node]]:
    """Recognise the signature, keywords and imprint at the bottom; return the body end."""
    nodes: list[_Node] = []
    i = len(lines)
    while i > body_start:
        line = lines[i - 1]
        if m := meta.IMPRINT_RE.match(line.content):
            md.printer = m["printer"].strip(meta.SPACES) or None
            md.print_date = meta.iso_date(meta.DATE_RE.search(m["date"]))
            nodes.append(_Node("imprint", 0, line, start=line.start, end=line.end))
            i -= 1
        elif meta.FOOTER_RE.match(line.content) and not nodes:
            i -= 1  # web-page footer: not policy text, and no unit
        elif meta.COPY_TO_RE.match(line.content):
            nodes.append(_Node("imprint", 0, line, start=line.start, end=line.end))
            i -= 1
        elif (m := meta.KEYWORDS_RE.match(line.content)) and not any(n.kind == "keywords" for n in nodes):
            md.keywords = meta.split_keywords(m["words"])
            nodes.append(_Node("keywords", 0, line, start=line.start, end=line.end))
            i -= 1
        elif (m := meta.DATE_LINE_RE.match(line.content)) and not any(n.kind == "signature" for n in nodes):
            md.date = meta.iso_date(m)
            start = line.start
            above = lines[i - 2] if i - 2 >= body_start else None
            if above and len(above.content) <= 40 and not re.search("[。，,；;：:]", above.content) \
                    and not match_label(above.content):
                md.issuer = above.content
                start = above.start
                i -= 1
            nodes.append(_Node("signature", 0, line, start=start, end=line.end))
            i -= 1
        else:
            break
    # Several imprint lines (抄送 + 印发) form one unit.
    imprints = [n for n in nodes if n.kind == "imprint"]
    if len(imprints) > 1:
        merged = _Node("imprint", 0, imprints[-1].line, start=min(n.start for n in imprints),
                       end=max(n.end for n in imprints))
        nodes = [n for n in nodes if n.kind != "imprint"] + [merged]
    return i, sorted(nodes, key=lambda n: n.start)


def _rank_styles(labelled: list[tuple[_Line, Label]]) -> dict[str, tuple[int, str]]:
    """Each style used at line starts → (rank, kind); see the module docstring."""
    used = list(dict.fromkeys(label.style for _, label in labelled))
    fixed = {"part-cn": (0, "part"), "chapter": (1, "chapter"), "section": (2, "section"),
             "article": (3, "article")}
    ranks = {s: fixed[s] for s in used if s in fixed}
    enums = [s for s in used if s not in fixed]
    if "article" in ranks:
        kinds = ["item"] + ["subitem"] * len(enums)
    elif ranks:  # chapters, sections or 第X部分 without 第X条: the first enumeration is the article
        kinds = ["article", "item"] + ["subitem"] * len(enums)
    elif len(enums) >= 2 and enums[0] == "cn-enum":  # 一、 heads parts only above other numbering
        kinds = ["part", "article", "item"] + ["subitem"] * len(enums)
    elif len(enums) >= 2:
        kinds = ["article", "item"] + ["subitem"] * len(enums)
    else:
        kinds = ["article"]
    for i, style in enumerate(enums):
        ranks[style] = (4 + i, kinds[i])
    return ranks


def _opening_phrase(text: str) -> str | None:
    m = re.match(r"([^。：:]{1,%d})[。：:]" % HEADING_MAX, text)
    if not m or re.search(r"[，,；;]", m.group(1)) or not text[m.end():].strip(_WS):
        return None
    return m.group(1).strip(_WS) or None


def _heading(node: _Node, text: str) -> str | None:
    own = text[node.start:node.line.end] if node.line else ""
    if node.kind in ("part", "chapter", "section"):
        m = re.match(r"([^。：:]+)[。：:]", own)
        return (m.group(1) if m and own[m.end():].strip(_WS) else own).strip(_WS) or None
    if node.kind == "article" and node.label and node.label.style == "article":
        m = re.match(r"[【\[]([^】\]]{1,%d})[】\]]" % HEADING_MAX, own)
        return m.group(1).strip(_WS) if m else None
    if node.kind in ("article", "item", "subitem"):
        return _opening_phrase(own)
    return None


def _join_bare_headings(text: str, body: list[_Line]) -> list[_Line]:
    """A bare 第X章/第X节/第X部分 line followed by a short unpunctuated line is read as one
    line, so that the second gives the heading (第一章\n总则 ≡ 第一章　总则); a bare 第X条
    line is read together with the paragraph below it (第一条\n为了… ≡ 第一条　为了…)."""
    joined: list[_Line] = []
    for line in body:
        prev = joined[-1] if joined else None
        label = match_label(prev.content) if prev else None
        bare = label is not None and label.end >= len(prev.content)
        heading_like = len(line.content) <= HEADING_MAX and not re.search("[。；;，,]", line.content)
        if bare and not match_label(line.content) and (label.style == "article" or heading_like):
            joined[-1] = _Line(prev.index, prev.start, line.end, text[prev.start:line.end])
            continue
        joined.append(line)
    return joined


def _build_tree(text: str, body: list[_Line]) -> tuple[list[_Node], list[_Node]]:
    """Nest the body lines; return (preamble nodes, top-level nodes)."""
    body = _join_bare_headings(text, body)
    labelled = [(ln, lab) for ln in body if (lab := match_label(ln.content))]
    if not labelled:
        return [], []
    ranks = _rank_styles(labelled)
    label_of = {ln.index: lab for ln, lab in labelled}
    root = _Node("root", -1, None)
    stack = [root]
    preamble: list[_Node] = []
    for line in body:
        label = label_of.get(line.index)
        if label is None:
            holder = next((n for n in reversed(stack) if n.kind in STRUCTURAL_KINDS), None)
            node = _Node("paragraph", 99, line, start=line.start, end=line.end)
            if holder is None and len(stack) == 1:
                preamble.append(node)
                continue
            holder = holder or stack[-1]
            node.parent = holder
            holder.children.append(node)
            continue
        rank, kind = ranks[label.style]
        while stack[-1].rank >= rank:
            stack.pop()
        start = line.start + label.end
        while start < line.end and text[start] in _WS + "\n":
            start += 1  # a joined bare heading: the text starts on the next line
        node = _Node(kind, rank, line, label, start=start, end=line.end, ordinal=label.ordinal,
                     parent=stack[-1])
        stack[-1].children.append(node)
        stack.append(node)
    for node in _walk(root):
        if node.kind == "article" and not any(c.kind == "item" for c in node.children):
            own = text[node.start:node.line.end]
            for k, item in enumerate(inline := find_inline_items(own, PAREN_STYLES)):
                end = inline[k + 1].start if k + 1 < len(inline) else len(own)
                sub = own[item.end:end].rstrip(_WS)
                node.children.insert(k, _Node("item", 99, None, item, start=node.start + item.end,
                                              end=node.start + item.end + len(sub), ordinal=item.ordinal,
                                              parent=node))
    return preamble, root.children


def _walk(node: _Node):
    for child in node.children:
        yield child
        yield from _walk(child)


def _apply_closing_rule(top: list[_Node]) -> _Node | None:
    """Turn trailing paragraphs of the last article into the closing (see module docstring)."""
    articles = [n for root in top for n in [root, *_walk(root)] if n.kind == "article"]
    if not articles:
        return None
    last = articles[-1]
    cut = len(last.children)
    while cut and last.children[cut - 1].kind == "paragraph":
        cut -= 1
    trailing = last.children[cut:]
    if not trailing or any(c.kind == "paragraph" for a in articles[:-1] for c in a.children):
        return None
    if len(trailing) < sum(1 for c in last.children if c.kind == "paragraph"):
        return None  # the last article has paragraphs between its items: they are its own
    # A slice, not list.remove per child: remove compares nodes field by field (children included),
    # quadratic in the number of trailing paragraphs.
    del last.children[cut:]
    return _Node("closing", 0, trailing[0].line, start=trailing[0].start, end=trailing[-1].end)


def _assign(node: _Node, parent_path: str, flat_articles: bool, taken: dict[str, int], text: str) -> None:
    """Compute path, ordinal, heading and extent of ``node`` and its descendants."""
    if node.kind == "article" and any(c.kind == "paragraph" for c in node.children) \
            and node.start < node.line.end:
        # 款: the labelled first paragraph is para/1, continuation paragraphs follow.
        first = _Node("paragraph", 99, node.line, start=node.start, end=node.line.end, parent=node)
        node.children.insert(0, first)
    segment = {"part": "part", "chapter": "chapter", "section": "section", "article": "art",
               "item": "item", "subitem": "subitem", "paragraph": "para"}[node.kind]
    if node.kind == "paragraph" and node.ordinal is None:
        node.ordinal = 1   # the parent numbers its paragraphs (below); a top-level one is the first
    prefix = "" if (not parent_path or node.kind in ("part", "chapter")
                    or (node.kind == "article" and flat_articles)) else f"{parent_path}/"
    path = f"{prefix}{segment}/{node.ordinal}"
    candidate, n = path, taken.get(path, 2)
    while candidate in taken:  # numbering that restarts or repeats: keep IRIs unique
        candidate, n = f"{path}-{n}", n + 1
    taken[path] = n   # the next suffix to try: repeats do not rescan the ones already taken
    node.path = candidate
    taken[candidate] = taken.get(candidate, 2)
    node.heading = _heading(node, text)
    paragraphs = 0
    for child in node.children:
        if child.kind == "paragraph":
            paragraphs += 1
            child.ordinal = paragraphs   # its position among the parent's paragraphs
        _assign(child, node.path, flat_articles, taken, text)
    node.end = max([node.end] + [c.end for c in node.children])
    if node.line and node.start >= node.line.end and node.children:  # bare label: text starts below
        node.start = min(c.line.start if c.line else c.start for c in node.children)
    elif node.line and node.label and node.start >= node.end:
        # A bare label with nothing under it (a malformed or truncated text): its only text is
        # the label itself, so that no unit is empty.
        node.start = node.line.start + node.label.start
        node.end = node.start + len(node.label.label)


def parse_text(text: str, source_path: Path | str, doc_id: str | None = None,
               base: str = DEFAULT_BASE) -> "Document":
    """Parse already decoded, normalized text (see :func:`parse_document`)."""
    source_path = Path(source_path)
    doc_id = doc_id or source_path.stem
    doc = iris.doc_iri(base, doc_id)
    md = Metadata()
    lines = _lines(text)
    body_start = _split_header(lines, md)
    body_end, trailer = _split_trailer(lines, body_start, md)
    preamble, top = _build_tree(text, lines[body_start:body_end])
    if not top:
        raise SourceError(source_path, "no recognisable numbering (第X章/第X条, 一、, （一）, 1., (1)) — "
                                       "not a structured policy document")
    md.doc_type = meta.doc_type(md.title)
    closing = _apply_closing_rule(top)
    articles = [n for root in top for n in [root, *_walk(root)] if n.kind == "article"]
    flat = len({a.ordinal for a in articles}) == len(articles)
    taken: dict[str, int] = {}   # every path given so far → the next "-n" suffix to try for it
    for node in top:
        _assign(node, "", flat, taken, text)

    nodes: list[tuple[_Node, str | None]] = []
    if preamble:
        nodes.append((_Node("preamble", 0, preamble[0].line, start=preamble[0].start,
                            end=preamble[-1].end, path="preamble"), None))

    def collect(node: _Node, parent_iri: str | None) -> None:
        nodes.append((node, parent_iri))
        for child in node.children:
            collect(child, iris.unit_iri(base, doc_id, node.path))

    for node in top:
        collect(node, None)
    for extra in ([closing] if closing else []) + trailer:
        extra.path = extra.kind
        nodes.append((extra, None))
    nodes.sort(key=lambda pair: (pair[0].start, -pair[0].end))
    units = []
    for seq, (node, parent_iri) in enumerate(nodes, start=1):
        units.append(Unit(
            iri=iris.unit_iri(base, doc_id, node.path), path=node.path, kind=node.kind,
            number=node.label.label if node.label else None, ordinal=node.ordinal,
            heading=node.heading, text=text[node.start:node.end], start=node.start, end=node.end,
            parent=parent_iri, sequence=seq))
    return Document(doc_id=doc_id, iri=doc, source_path=source_path, text=text, metadata=md, units=units)


def parse_document(path: Path | str, doc_id: str | None = None, base: str = DEFAULT_BASE,
                   max_bytes: int | None = None) -> Document:
    """Read and parse one policy document.

    ``doc_id`` defaults to the file stem. Raises :class:`SourceError` (naming the file and the
    problem) for empty, binary, undecodable, structureless or (over ``max_bytes``) too big input.
    """
    path = Path(path)
    return parse_text(read_source(path, max_bytes), path, doc_id, base)
