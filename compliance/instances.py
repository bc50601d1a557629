"""Registers as RDF: one instance per row, typed by the ontology, in a named graph of its own.

    {base}id/register/{rid}                      the register file (prov:Entity, its name and kind)
    {base}id/register/{rid}/community/{row}      a community row (pkg:UrbanCommunity, and
                                                 pkg:ResettlementResidentialArea when 是)
    {base}id/register/{rid}/worker/{row}         a worker row: a post (org:Post) of the policy's class
                                                 (pkg:CommunityPartySecretary …), org:postIn its community
    {base}graph/register/{rid}                   the register's named graph

``rid`` is the first 16 hex digits of the file's SHA-256: the same file gets the same IRIs.
Each row ``prov:wasDerivedFrom <{register}#row={n}>`` (the row of the file it was read from);
values are ``reg:<column>`` literals (xsd:integer, xsd:decimal, xsd:boolean, strings; the post and the organization form as the ontology's classes); a missing
value is no triple at all. The policy's graphs are never written: the quads go to an empty store
or to the register's own graph, and only once the whole register has been read without error.
"""
from __future__ import annotations

from decimal import Decimal
from operator import itemgetter

import pyoxigraph as ox

from policykg.compliance.columns import COMMUNITIES, COMMUNITY_KEY, ROW_CLASS, WORKERS, register_columns
from policykg.compliance.registers import Register
from policykg.ontology.namespaces import DCTERMS, ORG, PKG_URI, PROV, REG

_ROW_NAME = {COMMUNITIES: "community", WORKERS: "worker"}


def register_id(register: Register) -> str:
    return register.digest


def register_iri(base: str, register: Register) -> str:
    return f"{base}id/register/{register_id(register)}"


def register_graph(base: str, register: Register) -> str:
    return f"{base}graph/register/{register_id(register)}"


def row_prefix(base: str, register: Register) -> str:
    """What every row IRI of the register starts with (the row's number follows)."""
    return f"{register_iri(base, register)}/{_ROW_NAME[register.kind]}/"


def row_iri(base: str, register: Register, number: int) -> str:
    return f"{row_prefix(base, register)}{number}"


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")


def _literal(value) -> str:
    """A Turtle literal: integers and decimals as Turtle numbers (xsd:integer, xsd:decimal), true/false."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        text = format(value, "f")
        return text if "." in text else text + ".0"
    return f'"{_escape(str(value))}"'


def turtle_header(base: str, register: Register) -> str:
    rid_iri = register_iri(base, register)
    return (f"@base <{rid_iri}> .\n@prefix r: <{rid_iri}/{_ROW_NAME[register.kind]}/> .\n"
            f"@prefix reg: <{REG}> .\n@prefix pkg: <{PKG_URI}> .\n@prefix org: <{ORG}> .\n@prefix prov: <{PROV}> .\n")


def turtle_rows(base: str, register: Register, communities: dict[tuple, str] | None = None,
                rows: slice | list | None = None, only: set[str] | None = None):
    """The register as Turtle, one statement per row (after :func:`turtle_header`): compact text is the
    fastest way into pyoxigraph in bulk (a million rows of N-Triples spend most of their time in
    building and parsing long IRIs). ``rows``: only these rows (a slice of the register's, or a list of
    them: the profiles checked together, :func:`policykg.compliance.run.value_profiles`).

    ``only``: the keys of the columns a check reads: the row's class, its community and those values,
    nothing else (no file entity, provenance, names or classes the checks do not read). A check's
    throwaway store needs no more, and each triple left out is time in the bulk load (a quarter of a
    worker's triples); the row's IRI still names its file and row."""
    if only is not None:
        yield from _only_rows(register, communities, rows, only)
        return
    rid_iri = register_iri(base, register)
    yield f"<{rid_iri}> a prov:Entity ; <{DCTERMS.title}> {_literal(register.name)} ; <{DCTERMS.type}> {_literal(register.kind)} ."
    row_class = f"pkg:{ROW_CLASS[register.kind]}"
    columns = register_columns(register.kind)
    skip = {"district", "subdistrict", "community"} if register.kind == WORKERS else set()
    plain = [c.key for c in columns if c.key not in skip and c.key not in ("post", "organization_form")]
    choices = [k for k in ("post", "organization_form") if k not in skip]
    # a yes/no column that decides a class ("type" measure) also types the row
    type_columns = {c.key: f"pkg:{m[1]}" for c in columns for m in c.measures if m[0] == "type"}
    for row in _selected(register, rows):
        values = row.values
        types = [row_class]
        parts = []
        for key in plain:
            value = values.get(key)
            if value is None:
                continue
            parts.append(f"reg:{key} {_literal(value)}")
            if value is True and key in type_columns:
                types.append(type_columns[key])
        for key in choices:
            value = values.get(key)
            if value is not None:
                parts.append(f"reg:{key} pkg:{value}")
                if key == "post" and value != ROW_CLASS[WORKERS]:
                    types.append(f"pkg:{value}")
        if register.kind == WORKERS and communities is not None:
            parts.append(f"org:postIn <{communities[tuple(values[k] for k in COMMUNITY_KEY)]}>")
        parts.append(f"prov:wasDerivedFrom <#row={row.number}>")
        yield f"r:{row.number} a {', '.join(types)}{''.join(' ; ' + p for p in parts)} ."


def _selected(register: Register, rows: slice | list | None) -> list:
    """The register's rows ``rows`` names: all (None), a slice of them, or a list of them."""
    if rows is None:
        return register.rows
    return register.rows[rows] if isinstance(rows, slice) else rows


def _only_rows(register: Register, communities: dict[tuple, str] | None, rows: slice | list | None, only: set[str]):
    """:func:`turtle_rows`' statements with ``only``: the same text, each value's written once per object
    (a check's profiles share most of their values' objects, read once per distinct cell text) and the
    values taken by position (a chunk's Turtle was a tenth of its time)."""
    positions = register.positions
    columns = register_columns(register.kind)
    skip = {"district", "subdistrict", "community"} if register.kind == WORKERS else set()
    skip |= {c.key for c in columns} - only
    plan = [(positions[c.key], f" ; reg:{c.key} ", False) for c in columns
            if c.key not in skip and c.key not in ("post", "organization_form")]
    plan += [(positions[k], f" ; reg:{k} pkg:", True) for k in ("post", "organization_form")
             if k not in skip and k in positions]
    community = None
    if register.kind == WORKERS and communities is not None:
        community = itemgetter(*(positions[k] for k in COMMUNITY_KEY))
    start = f" a pkg:{ROW_CLASS[register.kind]}"
    texts: dict[int, str] = {}   # id of a value (alive in the register's rows) → its text after the predicate
    for row in _selected(register, rows):
        cells = row.values.cells
        parts = [f"r:{row.number}", start]
        for at, predicate, choice in plan:
            value = cells[at]
            if value is None:
                continue
            text = texts.get(id(value))
            if text is None:
                text = texts[id(value)] = str(value) if choice else _literal(value)
            parts.append(predicate)
            parts.append(text)
        if community is not None:
            parts.append(f" ; org:postIn <{communities[community(cells)]}>")
        parts.append(" .")
        yield "".join(parts)


def community_iris(base: str, register: Register) -> dict[tuple, str]:
    prefix = row_prefix(base, register)
    return {tuple(row.values[k] for k in COMMUNITY_KEY): f"{prefix}{row.number}" for row in register.rows}


def load_register(store: ox.Store, base: str, register: Register, communities: dict[tuple, str] | None = None,
                  chunk: int = 10_000, rows: slice | list | None = None, extra: list[str] = (),
                  only: set[str] | None = None) -> str:
    """Add the register to ``store`` in its own named graph; return the graph's IRI.

    The caller hands a store the register may be added to as a whole (a fresh one for a check);
    the register was fully read and checked before, so no row can fail half-way. ``chunk`` rows go in
    per bulk load: pyoxigraph holds a whole load's text and quads besides the store, so 10,000 rows a
    load rather than 100,000 took the peak of 10,000 communities from 1,040 to 780 MB at the same speed
    (bench/compliance.py). ``rows``: only these rows; ``extra``: more Turtle statements for the same
    graph (the years of the communities a chunk of workers belongs to); ``only``: see :func:`turtle_rows`."""
    graph = ox.NamedNode(register_graph(base, register))
    header = turtle_header(base, register)
    lines: list[str] = []
    # a check's throwaway store (``only``) takes its few thousand rows in a transaction: Store.load took
    # ~15% less CPU than bulk_load for a chunk of 25,000 workers or 10,000 communities; the whole
    # register (an import) goes in by bulk_load, which does not hold it all in one transaction
    load = store.load if only is not None else store.bulk_load

    def flush():
        load((header + "\n".join(lines) + "\n").encode(), format=ox.RdfFormat.TURTLE, to_graph=graph)
        lines.clear()

    for line in turtle_rows(base, register, communities, rows, only):
        lines.append(line)
        if len(lines) >= chunk:
            flush()
    for line in extra:
        lines.append(line)
        if len(lines) >= chunk:
            flush()
    if lines:
        flush()
    return graph.value
