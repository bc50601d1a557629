"""The actors: the index (/actors) and one actor (/actors/<key>) with its relations, its duties
and a picture of its neighbourhood."""
from __future__ import annotations

from flask import abort
from markupsafe import Markup

from policykg.api.pages.blueprint import bp, page
from policykg.api.pages.data import cached, clause_index, page_rows, run_named
from policykg.api.pages.drawing import GNode, star_svg
from policykg.api.pages.export import table_file
from policykg.api.pages.i18n import lang, t
from policykg.api.pages.labels import Names, actor_iri, cite_text, iri_url, known_actors, label, names, names_of
from policykg.api.words import VALUES, word
from policykg.ontology.namespaces import PKG_URI, PREFIXES
from policykg.queries.library import ParameterError

ACTOR_GROUPS = (
    ("posts", "职务", "Posts", PREFIXES["org"] + "Post"),
    ("people", "人员", "People", PREFIXES["foaf"] + "Person"),
    ("tasks", "任务", "Tasks", PKG_URI + "Task"),
    ("mechanisms", "机制与做法", "Mechanisms and practices", PKG_URI + "CoordinationMechanism"),
    ("practices", "机制与做法", "Mechanisms and practices", PKG_URI + "Practice"),
)


def _named_rows(name: str, params: dict) -> list[dict]:
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
                                      "modality_label": row.get("modality_label") or "",
                                      "quote": row.get("quote") or "", "topics": row.get("topics") or "",
                                      "bearer": row.get("bearer")})
        entry["label"] = (names_of(st).en if lang() == "en" else "") or row.get("norm_label") or ""
    seq = {u.iri: u.sequence for u in clause_index().ordered()}
    return sorted(norms.values(), key=lambda n: (seq.get(n["unit"], 10 ** 6), n["iri"]))


def split_inherited(iri: str, norms: list[dict]) -> tuple[list[dict], list[tuple[str, list[dict]]]]:
    """The actor's own duties, and those it inherits, grouped by the broader kind the text names
    (党组织 …), the kinds in the order the text first speaks of them."""
    own = [n for n in norms if not n["bearer"] or n["bearer"] == iri]
    inherited: dict[str, list[dict]] = {}
    for n in norms:
        if n["bearer"] and n["bearer"] != iri:
            inherited.setdefault(n["bearer"], []).append(n)
    return own, list(inherited.items())


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


def actor_groups() -> list[tuple[str, str, list]]:
    """The actors grouped for the index: organizations, posts, people, tasks, mechanisms."""
    def make():
        rows = page_rows("actor_groups")
        group_of_top = {top: key for key, _zh, _en, top in ACTOR_GROUPS}
        member = {}
        for row in rows:
            key = group_of_top.get(row["top"].value)
            member.setdefault(row["a"].value, key)
        groups: dict[str, list] = {}
        for iri, entry in known_actors().items():
            key = member.get(iri, "organizations")
            key = "mechanisms" if key == "practices" else key
            groups.setdefault(key, []).append((iri, entry))
        return groups
    groups = cached("actor_groups", make)
    titles = {"organizations": ("组织", "Organizations"), "posts": ("职务", "Posts"), "people": ("人员", "People"),
              "tasks": ("任务", "Tasks"), "mechanisms": ("机制与做法", "Mechanisms and practices")}
    return [(key, t(*titles[key]), groups[key]) for key in titles if groups.get(key)]


@bp.route("/actors")
def actors():
    return page("actors.html", active="pages.actors", groups=actor_groups())


@bp.route("/actors/<path:key>")
def actor(key: str):
    iri = actor_iri(key)
    entry = names().get(iri)
    if iri not in known_actors() and entry is None:
        abort(404)
    out, into = actor_relations(iri)
    norms = actor_norms(iri)
    own, inherited = split_inherited(iri, norms)
    return page("actor.html", active="pages.actors", iri=iri, entry=entry or Names(), out=out, into=into,
                norms=norms, own=own, inherited=inherited, picture=neighbourhood_svg(iri, out, into),
                key=key)


def duty_rows(iri: str) -> tuple[list[str], list[list]]:
    """The actor's 责任清单 as a table: headings in the reader's language, one row per duty with
    whose duty it is, its modality, the clause and the exact words."""
    headings = [t("序号", "No."), t("来源", "Whose duty"), t("规范类型", "Modality"), t("情态词", "Modal words"),
                t("职责", "Duty"), t("主题", "Topics"), t("条款", "Clause"), t("原文", "Quote"), t("条款IRI", "Clause IRI")]
    own, inherited = split_inherited(iri, actor_norms(iri))
    rows = []
    for origin, group in [(None, own), *inherited]:
        whose = word(VALUES, "own", lang()) if origin is None else f"{word(VALUES, 'inherited_from', lang())} {label(origin)}"
        for n in group:
            rows.append([len(rows) + 1, whose, n["modality_label"], n["marker"],
                         n["label"] or n["quote"], n["topics"], cite_text(n["unit"]) if n["unit"] else "",
                         n["quote"], n["unit"] or ""])
    return headings, rows


def _known_actor(key: str) -> str:
    iri = actor_iri(key)
    if iri not in known_actors() and names().get(iri) is None:
        abort(404)
    return iri


@bp.route("/actors/<path:key>/duties")
def actor_duties(key: str):
    """The printable 责任清单 of one actor: its own duties, then those it inherits, each cited."""
    iri = _known_actor(key)
    own, inherited = split_inherited(iri, actor_norms(iri))
    return page("duties.html", active="pages.actors", iri=iri, key=key, own=own, inherited=inherited)


@bp.route("/actors/<path:key>/duties.<any(csv, xlsx):fmt>")
def actor_duties_file(key: str, fmt: str):
    iri = _known_actor(key)
    headings, rows = duty_rows(iri)
    return table_file(fmt, t(f"{label(iri)}责任清单", f"Duties of {label(iri)}"), headings, rows,
                      "policykg-duties-" + "".join(ch if ch.isascii() and ch.isalnum() else "-" for ch in key))
