"""A term of the ontology as a page (/def/<Term> for browsers): its labels and definition, the
clause that defines it, broader and narrower terms, domain and range, how often the policy's
statements use it, and links to the ontology documentation and the term's machine formats.
(Actors redirect to their own page, which shows the same and their relations.)"""
from __future__ import annotations

import pyoxigraph as ox

from policykg.api.pages.blueprint import page
from policykg.api.pages.data import page_rows
from policykg.api.pages.i18n import lang
from policykg.api.pages.labels import label, local_name, names_of
from policykg.api.words import TERM_KINDS, word
from policykg.ontology.namespaces import PKG_URI

LINKS = ("type", "broader", "narrower", "domain", "range", "inverse", "clause")
USES = ("relation", "party", "bearer", "topic", "modality", "instances")


def term_links(iri: str) -> dict[str, list[str]]:
    links: dict[str, list[str]] = {key: [] for key in LINKS}
    for row in page_rows("term_links", term=ox.NamedNode(iri)):
        links[row["link"].value].append(row["other"].value)
    for key in links:
        links[key].sort(key=lambda other: label(other))
    return links


def term_usage(iri: str) -> dict[str, int]:
    usage = {key: 0 for key in USES}
    for row in page_rows("term_usage", term=ox.NamedNode(iri)):
        usage[row["use"].value] = int(row["n"].value)
    return usage


def term_page(iri: str):
    """The page of a pkg: term, or None when the ontology says nothing of it."""
    links = term_links(iri)
    entry = names_of(iri)
    if not (entry.zh or entry.en or any(links.values())):
        return None
    kinds = [word(TERM_KINDS, local_name(k), lang()) if local_name(k) in TERM_KINDS else label(k)
             for k in links.pop("type")]
    return page("term.html", active=None, iri=iri, entry=entry, links=links, usage=term_usage(iri), kinds=kinds,
                local=iri[len(PKG_URI):] if iri.startswith(PKG_URI) else local_name(iri))
