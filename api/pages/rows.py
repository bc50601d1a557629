"""How the rows of an answer are laid out for people: the answer and its citation first, the
service's internal columns left out, and one row per thing the text says even when it reaches
the actor through several broader kinds (each row says whose it is: 本主体 or 继承自 …).

The named questions return one row per path through the class hierarchy (a statement about the
community self-governing organizations reaches the residents' committee both as itself and
through its broader kind); the REST API keeps them all, the pages show each statement once.
"""
from __future__ import annotations

# Columns that say how the service computed a row, not what the text says.
INTERNAL = frozenset({"constraint", "nb_read", "asserted_only", "article", "clause_label", "interpreted_label"})
# The citation, shown right after the answer.
CITATION = ("clause", "quote")
# Columns that name where an inherited row comes from (the broader kind the text speaks of).
SOURCE_COLUMNS = ("via", "bearer")
INHERITED = "inherited"


def display_columns(columns: list[str], params: set[str]) -> list[str]:
    """The columns worth showing, in reading order: the answer (the first column that is neither
    citation nor remark), its clause and quote, then the rest. An IRI column stands for its
    ``_label`` twin; parameters echoed in every row and internal columns are left out."""
    shown = []
    for c in columns:
        if c in params or c in INTERNAL:
            continue
        if c.endswith("_label") and c[: -len("_label")] in columns and c[: -len("_label")] not in params:
            continue
        shown.append(c)
    citation = [c for c in CITATION if c in shown]
    rest = [c for c in shown if c not in citation]
    lead = next((c for c in rest if c not in ("interpreted", "statement", "modal_marker")), None)
    ordered = ([lead] if lead else []) + citation + [c for c in rest if c != lead]
    if "relation_label" in ordered and "predicate" in ordered:    # one column headed 关系, not two
        ordered.remove("relation_label")
    return ordered


def source_column(columns: list[str], params: dict) -> str | None:
    """The column that says which broader kind a row was inherited from, if the question has one:
    ``via`` (leaders_of, led_by …), or ``bearer`` when the question is asked of an actor (duties)."""
    if "via" in columns:
        return "via"
    if "bearer" in columns and "actor" in params:
        return "bearer"
    return None


def merge_inherited(rows: list[dict], columns: list[str], params: dict) -> tuple[list[dict], list[str]]:
    """The rows with one row per statement said of the actor or one of its broader kinds, each
    with ``inherited``: None for the actor's own, else the broader kind's IRI (and ``also_via``:
    other kinds the same statement reaches it through). Returns (rows, columns) where the source
    column is replaced by ``inherited``; without a source column the rows are returned as they are."""
    source = source_column(columns, params)
    if source is None:
        return rows, columns
    actor = (params.get("actor") or {}).get("iri") if isinstance(params.get("actor"), dict) else None
    # a statement expanded over several kinds has one IRI per kind: the words and clause identify it
    ignore = {source, source + "_label", "statement", "interpreted", "interpreted_label"}
    merged: dict[tuple, dict] = {}
    for row in rows:
        origin = row.get(source)
        if source == "bearer" and origin == actor:
            origin = None
        key = tuple((c, str(row.get(c))) for c in columns if c not in ignore) or (("statement", row.get("statement")),)
        if key in merged:
            kept = merged[key]
            # the actor's own statement wins over the same words reached through a broader kind
            if kept[INHERITED] is not None and origin is None:
                kept["also_via"].append(kept[INHERITED])
                kept[INHERITED] = None
            elif origin is not None and origin != kept[INHERITED] and origin not in kept["also_via"]:
                kept["also_via"].append(origin)
            continue
        merged[key] = {**row, INHERITED: origin, "also_via": []}
    out_columns = [INHERITED if c == source else c for c in columns if c != source + "_label"]
    if INHERITED not in out_columns:
        out_columns.append(INHERITED)
    return list(merged.values()), out_columns


def inheritance_counts(rows: list[dict]) -> dict:
    """How many rows are the actor's own and how many each broader kind passes on to it."""
    own = sum(1 for r in rows if r.get(INHERITED) is None)
    by_kind: dict[str, int] = {}
    for r in rows:
        if r.get(INHERITED) is not None:
            by_kind[r[INHERITED]] = by_kind.get(r[INHERITED], 0) + 1
    return {"own": own, "inherited": by_kind}
