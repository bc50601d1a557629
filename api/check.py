"""POST /api/check: registers in (multipart form), the compliance report out (JSON, CSV, XLSX or the
SHACL validation results as N-Triples). The checking itself is :mod:`policykg.compliance`; this module
only takes the upload apart, enforces the size limit and answers in the API's envelope.

    curl -F communities=@communities.csv -F workers=@workers.csv 127.0.0.1:8000/api/check
    curl -F communities=@communities.xlsx -F format=xlsx 127.0.0.1:8000/api/check -o report.xlsx
"""
from __future__ import annotations

import json

from flask import Response, jsonify, request

from policykg.api.errors import error_envelope
from policykg.api.rest import ApiError, bp
from policykg.api.state import get_state
from policykg.compliance.registers import RegisterError
from policykg.compliance.run import check_registers, checks_from_store

FORMATS = {"json": "application/json", "csv": "text/csv; charset=utf-8",
           "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
           "nt": "application/n-triples"}


def checkset():
    """The checks generated from the served policy's norms, once per state."""
    state = get_state()
    return state.cached(("compliance", "checks"), lambda: checks_from_store(state.store))


def uploaded(name: str, required: bool) -> tuple[bytes, str] | None:
    """(content, file name) of an uploaded register, within the size limit."""
    files = request.files.getlist(name)
    if len(files) > 1:
        raise ApiError("invalid_parameter", f"give one {name} file", name)
    if not files or not files[0].filename:
        if required:
            raise ApiError("missing_parameter", f"缺少{'社区' if name == 'communities' else '社区工作者'}登记表文件 "
                           f"(upload the {name} register as the form field {name!r}, .csv or .xlsx)", name)
        return None
    limit = get_state().config.max_register_mb << 20
    content = files[0].stream.read(limit + 1)
    if len(content) > limit:
        raise ApiError("too_large", f"{files[0].filename}: 文件超过 {limit >> 20} MB 上限 "
                       f"(the file is larger than the {limit >> 20} MB limit)", name, status=413)
    return content, files[0].filename


def run_check(communities: tuple[bytes, str], workers: tuple[bytes, str] | None):
    state = get_state()
    return check_registers(checkset(), state.config.base, communities, workers)


def register_error_response(exc: RegisterError) -> Response:
    body = error_envelope(422, f"登记表有误,未导入任何数据 (register refused, nothing imported): "
                               f"{len(exc.errors)} problem(s)", "invalid_register")
    body["error"]["errors"] = [e.as_dict() for e in exc.errors]
    body["error"]["truncated"] = exc.truncated
    return Response(json.dumps(body, ensure_ascii=False) + "\n", status=422, content_type="application/json")


@bp.post("/check")
def check():
    fmt = request.form.get("format") or request.args.get("format") or "json"
    if fmt not in FORMATS:
        raise ApiError("invalid_parameter", f"format must be one of {', '.join(FORMATS)}", "format")
    communities = uploaded("communities", required=True)
    workers = uploaded("workers", required=False)
    try:
        report = run_check(communities, workers)
    except RegisterError as exc:
        return register_error_response(exc)
    if fmt == "json":
        return jsonify({"ok": True, **report.as_json(max_rows=get_state().config.max_page_size)})
    data = {"csv": report.as_csv, "xlsx": report.as_xlsx,
            "nt": lambda: report.validation_graph_text().encode("utf-8")}[fmt]()
    response = Response(data, content_type=FORMATS[fmt])
    response.headers["Content-Disposition"] = f'attachment; filename="report.{fmt}"'
    return response
