"""The fan-out and the RowResults built column by column (``map``, the collector off) give what a row
at a time gave, rows of a profile the check did not return included; the findings worked out once per
distinct outcomes are those of every row and norm."""
from __future__ import annotations

import gc
from decimal import Decimal
from types import SimpleNamespace

import pytest

from policykg.compliance.columns import COMMUNITIES, WORKERS
from policykg.compliance.generator import CASES, generate
from policykg.compliance.registers import RegisterError
from policykg.compliance.run import Profiles, check_registers, fan_out, read_registers, row_results

BASE = "https://w3id.org/policykg/"


def test_fan_out_gives_rows_of_a_missing_profile_none_and_puts_interleaved_checks_back():
    """Two groups whose checks interleave (0, 2 | 1); a profile the check did not return gives its rows
    None, and row_results leaves those rows out."""
    a = Profiles([0, 2], set(), [None, None], [0, 1, 0, 1])
    b = Profiles([1], set(), [None, None, None], [2, 0, 1, 0])
    results = [([("met", "not_met"), ("unknown", "met")], [((Decimal(1),), (True,)), ((None,), (False,))]),
               ([("met",), None, ("not_applicable",)], [((Decimal(5),),), None, ((Decimal(7),),)])]
    statuses, actuals = fan_out(3, [a, b], results)
    assert statuses == [("met", "not_applicable", "not_met"), ("unknown", "met", "met"), None,
                        ("unknown", "met", "met")]
    assert actuals == [((Decimal(1),), (Decimal(7),), (True,)), ((None,), (Decimal(5),), (False,)), None,
                       ((None,), (Decimal(5),), (False,))]
    assert statuses[1] is statuses[3]   # equal outcomes: one tuple
    positions = {"district": 0, "subdistrict": 1, "community": 2, "name": 3, "post": 4}
    rows = [SimpleNamespace(number=n, values=SimpleNamespace(cells=("区", "街", f"社{n % 2}", f"人{n}", "CommunityWorker")))
            for n in (2, 3, 4, 5)]
    iris = {("区", "街", "社0"): "c0", ("区", "街", "社1"): "c1"}
    out = row_results(WORKERS, "w/", rows, positions, statuses, actuals, iris)
    assert [(r.iri, r.number, r.ident, r.community) for r in out] == [
        ("w/2", 2, ("人2", "CommunityWorker"), "c0"), ("w/3", 3, ("人3", "CommunityWorker"), "c1"),
        ("w/5", 5, ("人5", "CommunityWorker"), "c1")]
    assert [r.statuses for r in out] == [statuses[0], statuses[1], statuses[3]]
    communities = row_results(COMMUNITIES, "c/", rows[:2], positions, statuses[:2], actuals[:2], {})
    assert [(r.iri, r.ident, r.community) for r in communities] == [("c/2", ("区", "街", "社0"), None),
                                                                     ("c/3", ("区", "街", "社1"), None)]


def test_the_check_leaves_the_collector_as_it_found_it(checkset):
    registers = generate(len(CASES), seed=32)
    for enabled in (True, False):
        (gc.enable if enabled else gc.disable)()
        try:
            check_registers(checkset, BASE, (registers.communities_csv(), "communities.csv"),
                            (registers.workers_csv(), "workers.csv"))
            assert gc.isenabled() is enabled
        finally:
            gc.enable()


def test_the_findings_are_every_row_and_norm_not_met_or_unknown(checkset):
    registers = generate(len(CASES) + 60, seed=33)
    report = check_registers(checkset, BASE, (registers.communities_csv(), "communities.csv"),
                             (registers.workers_csv(), "workers.csv"))
    every = {(reg, row.number, check.id, status) for reg in (COMMUNITIES, WORKERS)
             for row, check, status, _ in report.outcomes(reg) if status in ("not_met", "unknown")}
    assert report.findings() == every
    assert {f[0] for f in every} == {COMMUNITIES, WORKERS} and len({f[3] for f in every}) == 2


def test_a_refused_register_leaves_the_collector_on(checkset):
    # the registers are read with the collector off: a refusal midway must still turn it back on
    registers = generate(len(CASES), seed=34)
    broken = registers.workers_csv().replace(b"\n", b"\n,,,,,,-1,", 1)
    assert gc.isenabled()
    with pytest.raises(RegisterError):
        check_registers(checkset, BASE, (registers.communities_csv(), "communities.csv"), (broken, "workers.csv"))
    assert gc.isenabled()
    with pytest.raises(RegisterError):
        read_registers((registers.communities_csv(), "communities.csv"), (broken, "workers.csv"))
    assert gc.isenabled()


def _csv_of_flat_rows(report) -> bytes:
    """The CSV report as csv.writer writes the report's lines, made row by row (Report.flat_rows)."""
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(report.HEADERS)
    for reg in (COMMUNITIES, WORKERS):
        writer.writerows(report.flat_rows(reg))
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def test_the_csv_report_rendered_once_per_profile_is_the_report_of_every_row(checkset):
    """The check gives the report its outcomes by value profile, fewer profiles than rows, in groups whose
    checks interleave the register's order; the CSV rendered from them is byte for byte the CSV of every
    row's own outcomes, and what csv.writer writes of the report's lines."""
    registers = generate(len(CASES) + 40, seed=34)
    report = check_registers(checkset, BASE, (registers.communities_csv(), "communities.csv"),
                             (registers.workers_csv(), "workers.csv"))
    assert set(report.profiled) == {COMMUNITIES, WORKERS}
    orders = {reg: [i for part in parts for i in part.checks] for reg, parts in report.profiled.items()}
    assert any(order != sorted(order) for order in orders.values())
    assert all(sorted(order) == list(range(len(report.checks(reg)))) for reg, order in orders.items())
    assert any(len(part.statuses) < len(part.of_row) for parts in report.profiled.values() for part in parts)
    by_profile = report.as_csv()
    assert by_profile == _csv_of_flat_rows(report)
    first = report.profiled[WORKERS][0]
    first.of_row = first.of_row[:-1]   # no longer one profile a row: not used, nothing cut short
    assert report.as_csv() == by_profile
    report.profiled = {}
    assert report.as_csv() == by_profile


def test_a_register_with_a_profile_the_check_did_not_return_is_rendered_row_by_row(checkset, monkeypatch):
    """Rows of a profile without results are left out of the report: that register's outcomes by profile
    would no longer line up with its rows, so the report has none for it and renders its rows' own."""
    from policykg.compliance import run

    checked = run.check_profiles

    def one_lost(checkset, base, register, profiles, part, iris, years):
        statuses, actuals = checked(checkset, base, register, profiles, part, iris, years)
        if register.kind == WORKERS and part.start == 0 and len(profiles.rows) > 1:
            statuses[0] = actuals[0] = None
        return statuses, actuals
    monkeypatch.setattr(run, "check_profiles", one_lost)
    registers = generate(len(CASES) + 40, seed=35)
    report = check_registers(checkset, BASE, (registers.communities_csv(), "communities.csv"),
                             (registers.workers_csv(), "workers.csv"))
    assert COMMUNITIES in report.profiled and WORKERS not in report.profiled
    assert 0 < len(report.workers) < len(registers.workers)
    assert report.as_csv() == _csv_of_flat_rows(report)
