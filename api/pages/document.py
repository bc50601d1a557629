"""The document reader (/document), one clause on its own and one statement (the HTML views of
their IRIs under /id/, through :func:`render_resource`)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import pyoxigraph as ox
from flask import abort, redirect, request, url_for

from policykg.api.pages.blueprint import bp, page
from policykg.api.pages.data import base, cached, clause_index, page_rows
from policykg.api.pages.i18n import lang
from policykg.api.pages.status import policy_status
from policykg.api.pages.terms import term_page
from policykg.api.pages.labels import (actor_key, cite_text, highlight_actors, known_actors, label,
                                       local_name)
from policykg.ontology.namespaces import PKG_URI


def documents() -> list[tuple[str, str]]:
    """(iri, title) of each document in the store."""
    def make():
        rows = page_rows("documents", prefix=ox.Literal(base() + "id/doc/"))
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


def main_document() -> str:
    """The IRI of the document the reader shows by default (the bundled policy)."""
    docs = documents()
    if docs:
        return docs[0][0]
    # No document typed yet: fall back to the prefix of the units.
    rows = page_rows("document_first_unit")
    if rows:
        iri = rows[0]["u"].value
        prefix = base() + "id/doc/"
        if iri.startswith(prefix):
            return prefix + iri[len(prefix):].split("/", 1)[0]
    abort(404)


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


def statements_by_unit(doc: str, language: str) -> dict[str, list[dict]]:
    def make():
        out: dict[str, dict[str, dict]] = {}
        for row in page_rows("document_statements", prefix=ox.Literal(doc + "/"), lang=ox.Literal(language)):
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


def group_statements(statements: list[dict]) -> list[dict]:
    """Statements with the same label said once: a sentence naming several actors is one
    statement per actor in the graph (the same words four times in the reader), each kept as a
    link of its own."""
    groups: dict[tuple, dict] = {}
    for st in statements:
        key = (st["label"] or st["iri"], st["modality"], st["marker"])
        groups.setdefault(key, {**st, "others": []})
        if groups[key]["iri"] != st["iri"]:
            groups[key]["others"].append(st["iri"])
    return list(groups.values())


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
                highlight=highlight_actors, unit_label=unit_label, status=policy_status(doc))


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
    if iri in known_actors():
        return redirect(url_for("pages.actor", key=actor_key(iri)), code=303)
    if iri.startswith(PKG_URI):
        return term_page(iri)
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


def statement_page(iri: str):
    """A statement or norm: what it says, its parties, its modality and the words it comes from."""
    st = ox.NamedNode(iri)
    props: dict[str, list] = {}
    for row in page_rows("statement", st=st):
        props.setdefault(local_name(row["p"].value), []).append(row["o"])
    if not props:
        return None
    labels = {(getattr(o, "language", "") or ""): o.value for o in props.get("label", [])}
    quote = page_rows("statement_quote", st=st)
    values = sorted({row["v"].value for row in page_rows("statement_values", st=st)})
    props["type"] = [ty for ty in props.get("type", []) if ty.value.startswith(PKG_URI)]
    title = (labels.get("en") if lang() == "en" else None) or labels.get("zh") or labels.get("en") or local_name(iri)
    return page("statement.html", active="pages.document", iri=iri, props=props, title=title,
                quote=quote[0] if quote else None, values=values)
