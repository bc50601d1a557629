"""Registers as RDF: one instance per row, typed by the ontology, in a named graph of its own.

    {base}id/register/{rid}                      the register file (prov:Entity, its name and kind)
    {base}id/register/{rid}/community/{row}      a community row (pkg:UrbanCommunity, and
                                                 pkg:ResettlementResidentialArea when 是)
    {base}id/register/{rid}/worker/{row}         a worker row: a post (org:Post) of the policy's class
                                                 (pkg:CommunityPartySecretary …), org:postIn its community
    {base}graph/register/{rid}                   the register's named graph

``rid`` is the first 16 hex digits of the file's SHA-256: the same file gets the same IRIs.
Each row ``prov:wasDerivedFrom <{register}#row={n}>`` (the row of the file it was read from);
values are ``reg:<column>`` literals (xsd:integer, xsd:decimal, xsd:boolean, strings); a missing
value is no triple at all. The policy's graphs are never written: the quads go to an empty store
or to the register's own graph, and only once the whole register has been read without error.
"""
from __future__ import annotations

import hashlib
from decimal import Decimal

import pyoxigraph as ox

from policykg.compliance.columns import COMMUNITIES, COMMUNITY_KEY, ROW_CLASS, WORKERS, register_columns
from policykg.compliance.registers import Register
from policykg.ontology.namespaces import DCTERMS, ORG, PKG_URI, PROV, RDF, REG

XSD = "http://www.w3.org/2001/XMLSchema#"
_ROW_NAME = {COMMUNITIES: "community", WORKERS: "worker"}


def register_id(register: Register) -> str:
    return hashlib.sha256(register.kind.encode() + b"\0" + register.content).hexdigest()[:16]


def register_iri(base: str, register: Register) -> str:
    return f"{base}id/register/{register_id(register)}"


def register_graph(base: str, register: Register) -> str:
    return f"{base}graph/register/{register_id(register)}"


def row_iri(base: str, register: Register, number: int) -> str:
    return f"{register_iri(base, register)}/{_ROW_NAME[register.kind]}/{number}"


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")


def _literal(value) -> str:
    if isinstance(value, bool):
        return f'"{"true" if value else "false"}"^^<{XSD}boolean>'
    if isinstance(value, int):
        return f'"{value}"^^<{XSD}integer>'
    if isinstance(value, Decimal):
        text = format(value, "f")
        return f'"{text if "." in text else text + ".0"}"^^<{XSD}decimal>'
    return f'"{_escape(str(value))}"'


def ntriples(base: str, register: Register, communities: dict[tuple, str] | None = None):
    """The register's triples as N-Triples lines (text is the fastest way into pyoxigraph in bulk)."""
    rid_iri = register_iri(base, register)
    yield f"<{rid_iri}> <{RDF.type}> <{PROV.Entity}> ."
    yield f"<{rid_iri}> <{DCTERMS.title}> {_literal(register.name)} ."
    yield f"<{rid_iri}> <{DCTERMS.type}> {_literal(register.kind)} ."
    row_class = f"<{PKG_URI}{ROW_CLASS[register.kind]}>"
    columns = register_columns(register.kind)
    rdf_type = f"<{RDF.type}>"
    derived = f"<{PROV.wasDerivedFrom}>"
    post_in = f"<{ORG.postIn}>"
    props = {c.key: f"<{REG}{c.key}>" for c in columns}
    # a yes/no column that decides a class ("type" measure) also types the row
    type_columns = {c.key: f"<{PKG_URI}{m[1]}>" for c in columns for m in c.measures if m[0] == "type"}
    prefix = f"{rid_iri}/{_ROW_NAME[register.kind]}/"
    for row in register.rows:
        subject = f"<{prefix}{row.number}>"
        yield f"{subject} {rdf_type} {row_class} ."
        yield f"{subject} {derived} <{rid_iri}#row={row.number}> ."
        values = row.values
        for key, value in values.items():
            if value is None:
                continue
            if key in ("district", "subdistrict", "community") and register.kind == WORKERS:
                continue   # a worker's community is a link, below
            if key == "post" or key == "organization_form":
                yield f"{subject} {props[key]} <{PKG_URI}{value}> ."
                if key == "post":
                    yield f"{subject} {rdf_type} <{PKG_URI}{value}> ."
                continue
            yield f"{subject} {props[key]} {_literal(value)} ."
            if value is True and key in type_columns:
                yield f"{subject} {rdf_type} {type_columns[key]} ."
        if register.kind == WORKERS and communities is not None:
            yield f"{subject} {post_in} <{communities[tuple(values[k] for k in COMMUNITY_KEY)]}> ."


def community_iris(base: str, register: Register) -> dict[tuple, str]:
    return {tuple(row.values[k] for k in COMMUNITY_KEY): row_iri(base, register, row.number) for row in register.rows}


def load_register(store: ox.Store, base: str, register: Register, communities: dict[tuple, str] | None = None,
                  chunk: int = 200_000) -> str:
    """Add the register to ``store`` in its own named graph; return the graph's IRI.

    The caller hands a store the register may be added to as a whole (a fresh one for a check);
    the register was fully read and checked before, so no row can fail half-way."""
    graph = ox.NamedNode(register_graph(base, register))
    lines: list[str] = []
    for line in ntriples(base, register, communities):
        lines.append(line)
        if len(lines) >= chunk:
            store.bulk_load(("\n".join(lines) + "\n").encode(), format=ox.RdfFormat.N_TRIPLES, to_graph=graph)
            lines.clear()
    if lines:
        store.bulk_load(("\n".join(lines) + "\n").encode(), format=ox.RdfFormat.N_TRIPLES, to_graph=graph)
    return graph.value
