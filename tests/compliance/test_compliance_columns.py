"""The register formats are derived from the norms: every norm with typed constraints is either checked
(and fed by named columns) or listed as not checkable with a reason; the templates carry the columns."""
from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from policykg.compliance.checks import build_checks
from policykg.compliance.columns import COLUMNS, COMMUNITIES, WORKERS, register_columns, template_csv, template_xlsx


def test_every_norm_with_typed_constraints_is_checked_or_listed_with_a_reason(policy, checkset):
    checked = {c.id for c in checkset.checks}
    listed = {n.id for n, _ in checkset.not_checkable}
    assert checked | listed == {n.id for n in policy.norms}
    assert not checked & listed
    assert all(reason.strip() for _, reason in checkset.not_checkable)
    # the norms the issue names are among the checked ones
    for norm in ("a19-activity-funds-150-yuan-per-member", "a19-activity-funds-minimum-15000",
                 "a15-service-premises-3-percent", "a15-one-third-for-party", "a07-leaders-annual-training",
                 "a08-certificate-by-2015", "a09-secretary-pay-floor", "a11-opinion-meetings-four-a-year",
                 "a11-secretary-weekly-reception-day", "a03-party-committee-over-100-members",
                 "a03-resettlement-area-cpo-and-centre"):
        assert norm in checked


def test_severity_follows_the_modality(checkset):
    by_id = {c.id: c for c in checkset.checks}
    assert by_id["a08-certificate-by-2015"].severity == "violation"          # 均须
    assert by_id["a11-opinion-meetings-four-a-year"].severity == "violation"  # 要
    assert by_id["a09-secretary-pay-floor"].severity == "warning"            # 原则上
    assert by_id["a07-young-workers-degree-education"].severity == "info"    # 鼓励
    assert by_id["a03-party-committee-over-100-members"].severity == "eligibility"   # 可以


def test_each_column_names_the_norms_it_feeds(checkset):
    feeds = checkset.feeds()
    assert feeds[(COMMUNITIES, "activity_funds")] == ["a19-activity-funds-150-yuan-per-member",
                                                      "a19-activity-funds-minimum-15000"]
    assert set(feeds[(WORKERS, "age")]) == {"a07-young-workers-degree-education", "a08-certificate-by-2015"}
    # every column that measures something feeds at least one norm, except the organization form (context)
    for column in COLUMNS:
        if column.measures and column.key != "organization_form":
            assert feeds.get((column.register, column.key)), column.key


def test_checks_come_from_the_graph_not_from_code(policy):
    """Change a number in the norms read from the graph: the generated check follows it."""
    import copy
    changed = copy.deepcopy(policy)
    norm = next(n for n in changed.norms if n.id == "a19-activity-funds-150-yuan-per-member")
    from dataclasses import replace
    from decimal import Decimal
    norm.standards[0] = replace(norm.standards[0], value=Decimal(160))
    from policykg.compliance.checks import check_query
    original = next(c for c in build_checks(policy).checks if c.id == norm.id)
    generated = next(c for c in build_checks(changed).checks if c.id == norm.id)
    assert '"150.0"' in check_query(original) and '"160.0"' in check_query(generated)


def test_csv_template_has_chinese_headers_with_english_aliases():
    text = template_csv(COMMUNITIES).decode("utf-8")
    assert text.startswith("\ufeff")
    header = next(csv.reader(io.StringIO(text[1:])))
    assert header[:3] == ["区(district)", "街道(subdistrict)", "社区(community)"]
    assert header == [c.header for c in register_columns(COMMUNITIES)]


def test_xlsx_template_has_both_registers_and_the_notes(checkset):
    wb = load_workbook(io.BytesIO(template_xlsx(checkset.feeds())))
    assert wb.sheetnames == ["社区 communities", "社区工作者 workers", "说明 columns"]
    workers = [c.value for c in wb["社区工作者 workers"][1]]
    assert workers == [c.header for c in register_columns(WORKERS)]
    notes = {(r[0], r[2]): r[7] for r in wb["说明 columns"].iter_rows(min_row=2, values_only=True)}
    assert "a08-certificate-by-2015" in notes[("workers", "certificate")]
