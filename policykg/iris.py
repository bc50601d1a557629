"""How instance IRIs are minted: one configurable base, readable stable paths.

    {base}id/doc/{doc}                          the policy (eli:LegalResource)
    {base}id/doc/{doc}/zh                       its Chinese text (eli:LegalExpression)
    {base}id/doc/{doc}/zh/web                   the web page it was captured from (eli:Format)
    {base}id/doc/{doc}/{unit path}              a unit: preamble, part/1, art/4, art/4/item/1 ...
    {base}id/doc/{doc}/statement/{id}           a statement or norm taken from the policy
    {base}id/{kind}/{slug}                      other things the data names (agent, task, practice ...)
    {base}graph/{name}                          named graphs: ontology, document, statements, interpretation,
                                                background, inferred

The service dereferences every IRI under {base}id/ at the path /id/... .
"""
from __future__ import annotations

GRAPH_NAMES = ("ontology", "document", "statements", "interpretation", "background", "inferred")


def graph_iri(base: str, name: str) -> str:
    if name not in GRAPH_NAMES:
        raise ValueError(f"unknown graph {name!r}; expected one of {', '.join(GRAPH_NAMES)}")
    return f"{base}graph/{name}"


def id_prefix(base: str) -> str:
    """What every instance IRI starts with (the service dereferences it at /id/)."""
    return f"{base}id/"


def doc_iri(base: str, doc_id: str) -> str:
    return f"{id_prefix(base)}doc/{doc_id}"


def unit_iri(base: str, doc_id: str, path: str) -> str:
    return f"{doc_iri(base, doc_id)}/{path}"


def expression_iri(doc: str, language: str = "zh") -> str:
    """The document's text in one language (eli:LegalExpression), e.g. ``{doc}/zh``."""
    return f"{doc}/{language}"


def statement_iri(base: str, doc_id: str, statement_id: str) -> str:
    return f"{doc_iri(base, doc_id)}/statement/{statement_id}"


def thing_iri(base: str, kind: str, slug: str) -> str:
    return f"{id_prefix(base)}{kind}/{slug}"
