"""Named questions label the rows that rest on a reading (解读 / interpretation) and drop them on
request (``asserted_only=true``), over the built dataset whose default graph is the union."""
from __future__ import annotations

import pytest

from policykg.queries.library import INTERPRETED_LABEL, ParameterError, load_library, run_query

LIBRARY = load_library()
FLAGGED = sorted(name for name, q in LIBRARY.items() if any(p.name == "asserted_only" for p in q.params))
# Parameters under which each question has rows resting on a reading in the bundled policy.
WITH_READINGS = {
    "relations": {}, "leaders_of": {"actor": "居委会"}, "led_by": {"actor": "社区党组织"},
    "duties": {"actor": "社区党组织"}, "norms": {}, "numeric_norms": {"topic": "经费"},
    "clause_statements": {"clause": "19"}, "responsible_persons": {}, "cost_sharing": {},
    "deadlines": {},
}


def test_every_question_over_statements_takes_the_parameter():
    assert set(WITH_READINGS) <= set(FLAGGED)
    for name in FLAGGED:
        assert "interpreted" in LIBRARY[name].columns, name


@pytest.mark.parametrize("name", sorted(WITH_READINGS))
def test_interpreted_rows_are_labelled_and_can_be_left_out(name, store, resolver):
    q, params = LIBRARY[name], WITH_READINGS[name]
    every = run_query(q, store, params, resolver, resolver.clauses)
    assert every["columns"].index("interpreted_label") == every["columns"].index("interpreted") + 1
    read = [r for r in every["rows"] if r["interpreted"]]
    assert read, f"{name} {params}: no row rests on a reading"
    assert all(r["interpreted_label"] == INTERPRETED_LABEL for r in read)
    assert all(r["interpreted_label"] is None for r in every["rows"] if not r["interpreted"])
    asserted = run_query(q, store, {**params, "asserted_only": "true"}, resolver, resolver.clauses)
    assert asserted["rows"], f"{name}: nothing stated at all?"
    assert not any(r["interpreted"] for r in asserted["rows"])
    assert len(asserted["rows"]) < len(every["rows"]) or name in ("norms", "clause_statements", "numeric_norms")
    same = run_query(q, store, {**params, "asserted_only": "false"}, resolver, resolver.clauses)
    assert same["rows"] == every["rows"]


def test_district_level_is_key_is_a_labelled_reading(store, resolver):
    rows = run_query(LIBRARY["responsible_persons"], store, {}, resolver, resolver.clauses)["rows"]
    key = [r for r in rows if r["person"].endswith("/DistrictPartyCommittee")]
    assert key and all(r["interpreted_label"] == INTERPRETED_LABEL for r in key)
    stated = run_query(LIBRARY["responsible_persons"], store, {"asserted_only": "是"}, resolver, resolver.clauses)["rows"]
    assert {r["person"].rsplit("/", 1)[-1] for r in stated} == {"DistrictPartySecretary", "SubdistrictPartySecretary"}


def test_duties_of_the_finance_department_are_readings_of_yi_caizheng_weizhu(store, resolver):
    rows = run_query(LIBRARY["duties"], store, {"actor": "财政部门"}, resolver, resolver.clauses)["rows"]
    art19 = [r for r in rows if r["article"] == "19"]
    assert art19 and all(r["interpreted"] for r in art19 if r["bearer"].endswith("/FinanceDepartment"))


def test_a_bad_boolean_names_the_parameter(resolver):
    with pytest.raises(ParameterError) as err:
        run_query(LIBRARY["relations"], None, {"asserted_only": "maybe"}, resolver)
    assert err.value.code == "invalid_parameter" and "asserted_only" in str(err.value) and "maybe" in str(err.value)


def test_chain_steps_through_a_reading_are_labelled(store, resolver):
    rows = run_query(LIBRARY["responsibility_chain"], store, {"from": "区委书记", "to": "社区党支部"}, resolver,
                     resolver.clauses)["rows"]
    assert rows
    forms = [r for r in rows if r["relation"].endswith("/hasForm")]
    assert forms and all(r["interpreted"] and r["interpreted_label"] == INTERPRETED_LABEL for r in forms)
    firsts = [r for r in rows if r["relation"].endswith("/isFirstResponsiblePersonFor")]
    assert firsts and not any(r["interpreted"] for r in firsts)
