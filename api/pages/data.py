"""What the pages read, and how: their own queries (queries/pages/*.rq), the named questions,
the REST area's resolver and actor graph, all through Python (never through HTTP), with
values computed once per data state.
"""
from __future__ import annotations

from flask import current_app

from policykg.api.state import get_state
from policykg.queries.library import QUERIES_DIR, get_query, load_library, run_query

# The pages' own questions: .rq files with the named questions' header, kept apart from the
# library of user questions (they are not offered on /questions, /api/queries or the CLI).
PAGE_QUERIES_DIR = QUERIES_DIR / "pages"

def cached(key, make):
    """A value computed once per application state and cleared when the data change (the
    state's cache, under its re-entrant lock, so one cached value may be built from others)."""
    return get_state().cached(key, make)


def base() -> str:
    return get_state().base


def page_rows(name: str, **terms) -> list[dict]:
    """The solutions of one of the pages' queries, ``queries/pages/<name>.rq``, with pyoxigraph
    terms bound to the parameters its header declares (the pages make these values, so they
    are bound as given, unlike a user's values, which the library resolves and checks)."""
    query = get_query(name, PAGE_QUERIES_DIR)
    undeclared = set(terms) - {p.variable for p in query.params}
    if undeclared:
        raise ValueError(f"{query.path.name} declares no parameter {', '.join(sorted(undeclared))}")
    return get_state().store.select(query.sparql, terms or None)


def page_query_text(name: str) -> str:
    """The SPARQL text of one of the pages' queries without its header lines (``#+ ...``)."""
    query = get_query(name, PAGE_QUERIES_DIR)
    return "".join(line for line in query.sparql.splitlines(keepends=True) if not line.startswith("#+"))


def library():
    return load_library()


def resolver():
    """The REST area's resolver of the current data (labels, short forms, clauses), shared with /api."""
    return get_state().resolver()


def actor_graph():
    """The REST area's graph of actors (networkx), shared with /api/chains."""
    return get_state().actor_graph()


def clause_index():
    return resolver().clauses


def run_named(name: str, params: dict) -> dict:
    """Run one named question as the REST API does; ParameterError propagates to the caller."""
    return run_query(get_query(name), get_state().store, params, resolver(), clause_index())


def resolve_candidates(text: str, limit: int = 10, kind: str | None = None) -> list[dict]:
    try:
        return list(resolver().candidates(text, kind=kind, limit=limit))
    except Exception:  # noqa: BLE001 - resolution is a convenience for the search box
        current_app.logger.exception("resolving %r failed", text)
        return []
