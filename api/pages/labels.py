"""What the pages call things: the label cache (every IRI's names in both languages), the links
a page gives an IRI, citations, and actor names marked in the policy's text."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from flask import url_for
from markupsafe import Markup, escape

from policykg.api.pages.data import base, cached, clause_index, page_rows
from policykg.api.pages.i18n import lang
from policykg.ontology.namespaces import PKG_URI, PREFIXES
from policykg.queries.citation import cite, path_steps

RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"


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


def _load_names() -> dict[str, Names]:
    names: dict[str, Names] = {}
    for row in page_rows("labels"):
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


def known_actors() -> dict[str, Names]:
    """Everything the statements relate or oblige (organizations, posts, people, tasks ...), by IRI."""
    def make():
        table = names()
        found = {}
        for row in page_rows("actors"):
            iri = row["a"].value
            found[iri] = table.get(iri, Names())
        return dict(sorted(found.items(), key=lambda kv: (kv[1].zh or local_name(kv[0]))))
    return cached("pages.actors", make)


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
    for iri, entry in known_actors().items():
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
    if iri in known_actors():
        return url_for("pages.actor", key=actor_key(iri))
    if iri.startswith(PKG_URI):
        return "/def/" + iri[len(PKG_URI):]
    if iri.startswith(base() + "id/"):
        return "/id/" + iri[len(base() + "id/"):]
    return iri


def cite_text(unit_iri) -> str:
    """How the policy itself numbers a unit, in the reader's language: 第5条, 第4条第(3)项,
    第二部分, 序言, 结语 … (written by :func:`policykg.queries.citation.cite`, as in the REST API)."""
    iri = str(getattr(unit_iri, "value", unit_iri) or "")
    try:
        index = clause_index()
    except Exception:  # noqa: BLE001 - no data loaded: cite from the IRI's path
        index = None
    if index is not None and iri in index.units:
        return index.label(index.units[iri], lang())
    return cite(path_steps(iri), lang())


def modality_name(iri) -> str:
    return local_name(getattr(iri, "value", iri) or "") if iri else ""


def actor_terms() -> list[tuple[str, str]]:
    """(surface form, actor IRI), longest first: the Chinese labels and short forms to highlight."""
    def make():
        terms: dict[str, str] = {}
        for iri, entry in known_actors().items():
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
