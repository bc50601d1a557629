"""Every numeric norm (/norms), sortable and filterable by topic and bearer, and the same table
as CSV (/norms.csv) and Excel (/norms.xlsx)."""
from __future__ import annotations

from flask import Response, request, url_for

from policykg.api.pages.blueprint import bp, page
from policykg.api.pages.data import cached, clause_index, page_rows, run_named
from policykg.api.pages.export import table_file
from policykg.api.pages.i18n import lang, t
from policykg.api.pages.labels import cite_text, label, local_name
from policykg.api.words import COMPARATORS, ROLES, word
from policykg.queries.library import ParameterError

# The table's columns (the page's and the files'): the citation and the words first.
NORM_COLUMNS = (
    ("clause_label", "条款", "Clause"), ("quote", "原文", "Quote"), ("bearer_label", "责任主体", "Bearer"),
    ("subject_label", "对象", "What"), ("comparator", "比较", "Comparator"), ("value", "数值", "Value"),
    ("unit_label", "单位", "Unit"), ("period_label", "周期", "Period"), ("basis_label", "基数", "Basis"),
    ("value_text", "原文数值", "Words"), ("modal_marker", "情态词", "Modal words"), ("role", "类型", "Role"),
    ("norm_label", "规范", "Norm"), ("clause", "条款IRI", "Clause IRI"),
)
# Shown on the page in their own way (the citation links, the norm is the row's title).
PAGE_HIDDEN = ("clause_label", "quote", "norm_label", "clause")


def norm_cell(row: dict, name: str):
    """One cell of the table in the reader's words (comparators and roles as words, not symbols)."""
    value = row.get(name)
    if name == "comparator":
        return word(COMPARATORS, value, lang()) if value else ""
    if name == "role":
        return word(ROLES, value, lang()) if value else ""
    if name == "clause_label":
        return cite_text(row["clause"]) if row.get("clause") else (value or "")
    return "" if value is None else value


def norm_facets() -> dict[str, dict[str, set]]:
    def make():
        facets: dict[str, dict[str, set]] = {}
        for row in page_rows("norm_facets"):
            entry = facets.setdefault(row["norm"].value, {"topics": set(), "bearers": set()})
            if "topic" in row:
                entry["topics"].add(row["topic"].value)
            if "bearer" in row:
                entry["bearers"].add(row["bearer"].value)
        return facets
    return cached("norm_facets", make)


def numeric_norm_rows(params: dict) -> tuple[list[dict], str | None]:
    """The rows of the named question ``numeric_norms`` (filters passed through), or an error."""
    try:
        result = run_named("numeric_norms", params)
    except ParameterError as exc:
        return [], exc.message
    seq = {u.iri: u.sequence for u in clause_index().ordered()}
    rows = sorted(result["rows"], key=lambda r: (seq.get(r.get("clause"), 10 ** 6), r.get("norm") or ""))
    return rows, None


def _norm_filters() -> dict:
    return {k: request.args[k] for k in ("topic", "bearer") if request.args.get(k)}


@bp.route("/norms")
def norms():
    filters = _norm_filters()
    rows, error = numeric_norm_rows(filters)
    facets = norm_facets()
    all_rows, _ = numeric_norm_rows({})
    topics = sorted({tp for r in all_rows for tp in facets.get(r.get("norm"), {}).get("topics", ())},
                    key=lambda i: label(i))
    bearers = sorted({b for r in all_rows for b in facets.get(r.get("norm"), {}).get("bearers", ())},
                     key=lambda i: label(i))
    return page("norms.html", active="pages.norms", rows=rows, error=error, facets=facets, topics=topics,
                bearers=bearers, filters=filters, columns=NORM_COLUMNS, hidden=PAGE_HIDDEN, local_name=local_name,
                norm_cell=norm_cell, csv_url=url_for("pages.norms_file", fmt="csv", **filters),
                xlsx_url=url_for("pages.norms_file", fmt="xlsx", **filters))


@bp.route("/norms.<any(csv, xlsx):fmt>")
def norms_file(fmt: str):
    """The table as a file, filtered as the page is, with headings in the reader's language."""
    rows, error = numeric_norm_rows(_norm_filters())
    if error:
        return Response(error + "\n", status=400, mimetype="text/plain")
    headings = [t(zh, en) for _name, zh, en in NORM_COLUMNS]
    cells = [[norm_cell(row, name) for name, _zh, _en in NORM_COLUMNS] for row in rows]
    return table_file(fmt, t("数值规范", "Numeric norms"), headings, cells, "policykg-numeric-norms")
