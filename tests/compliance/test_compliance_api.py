"""POST /api/check and the /check page, on the real server (live_server) with a real HTTP client."""
from __future__ import annotations

import io

import pytest
import requests
from openpyxl import load_workbook

from policykg.compliance.generator import CASES, generate


@pytest.fixture(scope="module")
def registers():
    return generate(len(CASES), seed=21)


def _files(registers):
    return {"communities": ("communities.csv", registers.communities_csv(), "text/csv"),
            "workers": ("workers.csv", registers.workers_csv(), "text/csv")}


def _expected(registers):
    return {(e["register"], e["row"], e["norm"], e["status"]) for e in registers.expected if e["status"] in ("not_met", "unknown")}


def test_api_check_json_finds_the_injected_cases(live_server, registers):
    r = requests.post(f"{live_server}/api/check", files=_files(registers), timeout=120)
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("application/json")
    body = r.json()
    assert body["ok"] is True
    found = {(reg, row["row"], res["norm"], res["status"]) for reg in ("communities", "workers")
             for row in body[reg] for res in row["results"] if res["status"] in ("not_met", "unknown")}
    if not body["truncated"]:
        assert found == _expected(registers)
    assert any(n["quote"] for n in body["norms"]) and body["not_checkable"]


def test_api_check_xlsx_and_csv(live_server, registers):
    r = requests.post(f"{live_server}/api/check", files=_files(registers), data={"format": "xlsx"}, timeout=120)
    assert r.status_code == 200 and "attachment" in r.headers["Content-Disposition"]
    wb = load_workbook(io.BytesIO(r.content), read_only=True)
    assert wb.sheetnames[0] == "汇总 summary"
    outcomes = [row[9] for row in wb["社区 communities"].iter_rows(min_row=2, values_only=True)]
    # a permission's 未达标 reads 不符合条件 (a form set up without the members it needs)
    assert outcomes.count("未达标") + outcomes.count("不符合条件") == \
        sum(1 for f in _expected(registers) if f[0] == "communities" and f[3] == "not_met")
    assert outcomes.count("不符合条件") == 2
    r = requests.post(f"{live_server}/api/check", files=_files(registers), data={"format": "csv"}, timeout=120)
    assert r.status_code == 200 and r.content.startswith("\ufeff登记表".encode())


def test_api_check_refuses_bad_rows_with_file_row_column(live_server, registers):
    bad = registers.communities_csv().decode("utf-8-sig").replace(str(registers.communities[2]["households"]), "abc", 1)
    r = requests.post(f"{live_server}/api/check", files={"communities": ("c.csv", bad.encode("gb18030"))}, timeout=60)
    assert r.status_code == 422
    error = r.json()["error"]
    assert error["code"] == "invalid_register"
    assert error["errors"][0] == {"file": "c.csv", "row": 4, "column": "户数(households)",
                                  "reason": "应为数字,而不是“abc” (expected a number, got 'abc')"}


def test_api_check_needs_the_communities_register_and_limits_size(live_server):
    r = requests.post(f"{live_server}/api/check", files={"workers": ("w.csv", b"x")}, timeout=60)
    assert r.status_code == 400 and r.json()["error"]["parameter"] == "communities"
    big = b"a" * ((6 << 20) + 10)
    r = requests.post(f"{live_server}/api/check", files={"communities": ("c.csv", big)}, timeout=60)
    assert r.status_code == 413 and r.json()["error"]["code"] == "too_large"
    r = requests.post(f"{live_server}/api/check", files={"communities": ("c.csv", b"x")}, data={"format": "pdf"}, timeout=60)
    assert r.status_code == 400 and r.json()["error"]["parameter"] == "format"


def test_check_page_form_templates_and_report(live_server, registers):
    r = requests.get(f"{live_server}/check", timeout=60)
    assert r.status_code == 200 and 'enctype="multipart/form-data"' in r.text and "登记表核对" in r.text
    assert "不能从登记表核对的规范" in r.text
    t = requests.get(f"{live_server}/check/template.xlsx", timeout=60)
    assert t.status_code == 200 and load_workbook(io.BytesIO(t.content)).sheetnames[0] == "社区 communities"
    c = requests.get(f"{live_server}/check/template-workers.csv", timeout=60)
    assert c.content.decode("utf-8-sig").startswith("区(district),街道(subdistrict),社区(community),姓名(name)")
    r = requests.post(f"{live_server}/check", files=_files(registers), timeout=120)
    assert r.status_code == 200 and 'id="check-findings"' in r.text
    # a permission's 未达标 reads 不符合条件 (a form set up without the members it needs)
    assert r.text.count("未达标</td>") + r.text.count("不符合条件</td>") == \
        sum(1 for f in _expected(registers) if f[3] == "not_met")
    assert r.text.count("不符合条件</td>") == 2
    assert "少于100名党员的社区按不低于1.5万元划拨" in r.text


def test_check_page_shows_register_errors(live_server):
    r = requests.post(f"{live_server}/check", files={"communities": ("c.csv", "区,备注\n".encode())}, timeout=60)
    assert r.status_code == 422 and "登记表有误,未导入任何数据" in r.text and "备注" in r.text


def test_check_page_loads_its_upload_script_and_keeps_the_plain_form(live_server):
    """The progress script is a file of the service (the pages' CSP allows no inline script), and the
    form it enhances still posts by itself: without JavaScript nothing changes (test above)."""
    r = requests.get(f"{live_server}/check", timeout=60)
    html = r.text
    assert '<script src="/static/check.js"' in html
    assert "<script>" not in html and "script-src 'self'" in r.headers["Content-Security-Policy"]
    form = html.split('<form class="panel" id="check-form"', 1)[1].split("</form>", 1)[0]
    assert 'method="post"' in form and 'enctype="multipart/form-data"' in form
    progress = form.split('id="check-progress"', 1)[1].split("</div>", 1)[0]
    assert " hidden" in progress.split(">", 1)[0] and "<progress" in progress   # hidden until the script runs
    assert 'data-checking="核对中…"' in progress
    js = requests.get(f"{live_server}/static/check.js", timeout=60)
    assert js.status_code == 200 and "javascript" in js.headers["Content-Type"]
    assert "check-form" in js.text and "upload" in js.text
