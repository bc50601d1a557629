"""What the named-question tests compare: which parameter types take an IRI, and a question's rows as the
service gives them, whatever store answered."""
from __future__ import annotations

from policykg.queries.library import python_value, sort_concatenations

# Parameter types whose value is bound as an IRI (queries/library.py PARAM_TYPES).
IRI_TYPES = frozenset({"actor", "entity", "relation", "topic", "modality", "clause"})


def rows_as_served(query, solutions) -> list[tuple]:
    """The rows as the service gives them (GROUP_CONCAT parts sorted: their order is open), as a multiset."""
    rows = sort_concatenations([{k: python_value(v) for k, v in row.items()} for row in solutions],
                               query.concatenated)
    return sorted(tuple(sorted((k, repr(v)) for k, v in row.items())) for row in rows)
