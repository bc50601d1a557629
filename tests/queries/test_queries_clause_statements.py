"""clause_statements answers one row per statement, listing every bearer and object of a norm."""
from __future__ import annotations

from collections import Counter

import pytest

from policykg.queries.library import get_query, run_query
from policykg.queries.resolve import ClauseIndex

BASE = "https://w3id.org/policykg/"


@pytest.fixture(scope="module")
def rows(store, resolver):
    result = run_query(get_query("clause_statements"), store, {"clause": "19"}, resolver, ClauseIndex(store, BASE))
    return result["rows"]


def test_each_statement_is_one_row(rows):
    counts = Counter(row["statement"] for row in rows)
    assert counts and max(counts.values()) == 1, [s for s, n in counts.items() if n > 1]


def test_a_norm_borne_by_several_bodies_names_them_all(rows):
    # 第19条: "由市和三个城区按现行财政体制分级承担" — the city and the three districts share the cost.
    shared = [r for r in rows if "市本级财政" in (r["subject_label"] or "") and "平江区财政" in (r["subject_label"] or "")]
    assert shared, "the cost-sharing norm should list the city and district finances as its bearers"
    assert all(r["article"] == "19" for r in rows)
