"""Checking registers (/check): download the templates, upload the registers, read the cited report
on the page or download it as XLSX / CSV. The checks are :mod:`policykg.compliance`'s; the upload
and its limits are the same as POST /api/check's (:mod:`policykg.api.check`)."""
from __future__ import annotations

from flask import Response, request

from policykg.api.check import checkset, run_check, uploaded
from policykg.api.pages.blueprint import bp, page
from policykg.api.rest import ApiError
from policykg.api.state import get_state
from policykg.compliance.checks import MET, NOT_MET, UNKNOWN
from policykg.compliance.columns import COLUMNS, template_csv, template_xlsx
from policykg.compliance.registers import RegisterError
from policykg.compliance.report import STATUS_WORDS, actual_words, required_words, status_words

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_FINDINGS_SHOWN = 500


def _attachment(data: bytes, mimetype: str, name: str) -> Response:
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@bp.get("/check/template.xlsx")
def check_template_xlsx():
    return _attachment(template_xlsx(checkset().feeds()), XLSX, "register-template.xlsx")


@bp.get("/check/template-<register>.csv")
def check_template_csv(register: str):
    if register not in ("communities", "workers"):
        return Response("unknown register", status=404, mimetype="text/plain")
    return _attachment(template_csv(register), "text/csv", f"{register}-template.csv")


def _context(**extra) -> dict:
    cs = checkset()
    feeds = cs.feeds()
    columns = [(c, feeds.get((c.register, c.key), [])) for c in COLUMNS]
    return {"checks": cs.checks, "not_checkable": cs.not_checkable, "columns": columns,
            "limit_mb": get_state().config.max_register_mb, **extra}


@bp.route("/check", methods=["GET", "POST"])
def check_page():
    if request.method == "GET":
        return page("check.html", active="pages.check_page", **_context())
    try:
        communities = uploaded("communities", required=True)
        workers = uploaded("workers", required=False)
        report = run_check(communities, workers)
    except ApiError as exc:
        return page("check.html", active="pages.check_page", **_context(error=exc.error.message)), exc.status
    except RegisterError as exc:
        return page("check.html", active="pages.check_page", **_context(register_errors=exc.errors,
                                                                        truncated=exc.truncated)), 422
    fmt = request.form.get("format", "html")
    if fmt == "xlsx":
        return _attachment(report.as_xlsx(), XLSX, "report.xlsx")
    if fmt == "csv":
        return _attachment(report.as_csv(), "text/csv", "report.csv")
    policy = report.checkset.policy
    findings = []
    for register in ("communities", "workers"):
        for row, chk, status, actual in report.outcomes(register):
            if status in (NOT_MET, UNKNOWN) and len(findings) < MAX_FINDINGS_SHOWN:
                findings.append({"register": register, "row": row.number, "where": report.location(register, row),
                                 "check": chk, "status": status_words(chk, status), "not_met": status == NOT_MET,
                                 "required": required_words(chk), "actual": actual_words(chk, status, actual, policy)})
    labels = {c.id: c for c in report.checkset.checks}
    summary = report.summary()
    return page("check.html", active="pages.check_page", **_context(
        report=report, findings=findings, summary=summary, labels=labels, met=MET,
        total_findings=len(report.findings()), shown=MAX_FINDINGS_SHOWN, status_words=STATUS_WORDS))
