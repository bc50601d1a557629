"""/check in a real browser: the registers go up with a progress bar, then the report replaces the form's
page without a navigation (api/static/check.js); the plain form without JavaScript is tested in
tests/compliance/test_compliance_api.py."""
from __future__ import annotations

import re

import pytest

from policykg.compliance.generator import CASES, generate
from web_support import browser, watched  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser

# Every text the progress line shows, recorded in the page as it changes (the report replaces the
# form afterwards, so the test cannot look at the bar after the fact).
RECORD_PROGRESS = """() => {
  window.__progress = [];
  const text = document.getElementById("check-progress-text");
  const bar = document.querySelector("#check-progress progress");
  new MutationObserver(() => window.__progress.push(
      [text.textContent, bar.hasAttribute("value") ? bar.value : null, bar.max,
       document.getElementById("check-progress").hidden])).observe(text, {childList: true, characterData: true,
                                                                          subtree: true});
}"""


def test_upload_shows_progress_then_the_report(watched, tmp_path):
    registers = generate(len(CASES) * 4, seed=33)
    communities = tmp_path / "communities.csv"
    workers = tmp_path / "workers.csv"
    communities.write_bytes(registers.communities_csv())
    workers.write_bytes(registers.workers_csv())
    size = communities.stat().st_size + workers.stat().st_size
    page = watched.page
    watched.goto("/check")
    assert page.locator("#check-progress").is_hidden()
    page.set_input_files("#communities", str(communities))
    page.set_input_files("#workers", str(workers))
    page.evaluate(RECORD_PROGRESS)
    navigations = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url))
    page.get_by_role("button", name="核对").click()
    page.wait_for_selector("#check-findings", timeout=120_000)
    seen = page.evaluate("window.__progress")
    texts = [s[0] for s in seen]
    assert any(t.startswith("已上传") for t in texts), seen
    sent = [s for s in seen if s[0].startswith("已上传") and s[1] is not None and s[2] > 100]
    assert sent and sent[-1][1] == sent[-1][2] >= size, seen   # the whole body went up, counted in bytes
    assert "核对中…" in texts and not any(s[3] for s in seen), seen   # shown while the server checks
    assert navigations == [], navigations                   # the report came in without leaving the page
    not_met = sum(1 for e in registers.expected if e["status"] == "not_met")
    # a norm's 未达标, and a permission's (a form set up without the members it asks for) 不符合条件
    shown = page.locator("#check-findings td").filter(has_text=re.compile(r"^\s*(未达标|不符合条件)\s*$"))
    assert shown.count() == not_met
    assert page.locator("#check-progress").is_hidden()      # the fresh form's box, hidden again
    watched.shot("check-upload-report")


def test_upload_for_excel_downloads_the_report(watched, tmp_path):
    from openpyxl import load_workbook

    registers = generate(len(CASES), seed=34)
    communities = tmp_path / "communities.csv"
    communities.write_bytes(registers.communities_csv())
    page = watched.page
    watched.goto("/check")
    page.set_input_files("#communities", str(communities))
    page.select_option("#format", "xlsx")
    with page.expect_download(timeout=120_000) as download_info:
        page.get_by_role("button", name="核对").click()
    download = download_info.value
    assert download.suggested_filename == "report.xlsx"
    path = tmp_path / "report.xlsx"
    download.save_as(path)
    assert load_workbook(path, read_only=True).sheetnames[0] == "汇总 summary"
    page.wait_for_function("document.getElementById('check-progress-text').textContent.startsWith('已下载')")
    assert page.url.endswith("/check")
