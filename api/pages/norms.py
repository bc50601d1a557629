"""Every numeric norm (/norms), sortable and filterable by topic and bearer, and its CSV (/norms.csv)."""
from __future__ import annotations

import csv
import io

from flask import Response, request, url_for

from policykg.api.pages.blueprint import bp, page
from policykg.api.pages.data import cached, clause_index, page_rows, run_named
from policykg.api.pages.labels import label, local_name
from policykg.queries.library import ParameterError

NORM_COLUMNS = (
    ("clause_label", "条款", "Clause"), ("bearer_label", "责任主体", "Bearer"),
    ("subject_label", "对象", "What"), ("comparator", "比较", "Comparator"), ("value", "数值", "Value"),
    ("unit_label", "单位", "Unit"), ("period_label", "周期", "Period"), ("basis_label", "基数", "Basis"),
    ("value_text", "原文数值", "Words"), ("modal_marker", "情态", "Modality"), ("role", "类型", "Role"),
    ("norm_label", "规范", "Norm"), ("quote", "原文", "Quote"), ("clause", "条款IRI", "Clause IRI"),
)


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
                bearers=bearers, filters=filters, columns=NORM_COLUMNS, local_name=local_name,
                csv_url=url_for("pages.norms_csv", **filters))


@bp.route("/norms.csv")
def norms_csv():
    rows, error = numeric_norm_rows(_norm_filters())
    if error:
        return Response(error + "\n", status=400, mimetype="text/plain")
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([name for name, _zh, _en in NORM_COLUMNS])
    for row in rows:
        writer.writerow(["" if row.get(name) is None else row.get(name) for name, _zh, _en in NORM_COLUMNS])
    return Response("\ufeff" + buffer.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=policykg-numeric-norms.csv"})
