"""The command line through subprocesses: generate-register, check, register-template."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from openpyxl import load_workbook

ROOT = Path(__file__).resolve().parents[2]


def _cli(*args, **kw):
    return subprocess.run([sys.executable, "-m", "policykg.cli", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, **kw)


def test_generate_then_check_writes_a_report_with_the_injected_findings(tmp_path, built_dataset):
    gen = _cli("generate-register", "--communities", "60", "--seed", "5", "--out", str(tmp_path), "--xlsx")
    assert gen.returncode == 0, gen.stderr
    expected = json.loads((tmp_path / "expected.json").read_text("utf-8"))
    out = tmp_path / "report.xlsx"
    run = _cli("check", str(tmp_path / "communities.xlsx"), str(tmp_path / "workers.xlsx"), "--out", str(out),
               "--data", str(built_dataset))
    assert run.returncode == 0, run.stderr
    assert "核对 checking" in run.stderr and "完成 done" in run.stderr       # progress on standard error
    wb = load_workbook(out, read_only=True)
    found = {("communities" if ws == "社区 communities" else "workers", row[1], row[7], row[9])
             for ws in ("社区 communities", "社区工作者 workers")
             for row in wb[ws].iter_rows(min_row=2, values_only=True) if row[9] in ("未达标", "不符合条件", "数据缺失")}
    assert len(found) == sum(1 for e in expected if e["status"] in ("not_met", "unknown"))
    # the same in the SHACL validation report vocabulary
    nt = tmp_path / "report.nt"
    assert _cli("check", str(tmp_path / "communities.xlsx"), str(tmp_path / "workers.xlsx"), "--out", str(nt),
                "-q", "--data", str(built_dataset)).returncode == 0
    assert nt.read_text("utf-8").count("<http://www.w3.org/ns/shacl#ValidationResult>") == len(found)


def test_a_bad_register_exits_2_naming_file_row_column(tmp_path, built_dataset):
    bad = tmp_path / "c.csv"
    from policykg.compliance.columns import COMMUNITIES, register_columns
    header = ",".join(c.zh for c in register_columns(COMMUNITIES))
    bad.write_bytes(f"{header}\n平江区,某街道,某社区,2015,-3\n".encode("gbk"))   # as Excel saves CSV on Chinese Windows
    out = tmp_path / "r.xlsx"
    run = _cli("check", str(bad), "--out", str(out), "--data", str(built_dataset))
    assert run.returncode == 2
    assert "c.csv 第2行 (row 2) 列“户数(households)” (column 户数(households)): 不能为负数" in run.stderr
    assert "nothing imported" in run.stderr and not out.exists()


def test_register_template(tmp_path, built_dataset):
    assert _cli("register-template", "--out", str(tmp_path / "t.xlsx"), "--data", str(built_dataset)).returncode == 0
    assert load_workbook(tmp_path / "t.xlsx").sheetnames == ["社区 communities", "社区工作者 workers", "说明 columns"]
    assert _cli("register-template", "--out", str(tmp_path / "w.csv"), "--register", "workers").returncode == 0
    assert (tmp_path / "w.csv").read_bytes().startswith("\ufeff区(district)".encode())


def test_check_writes_a_gzip_compressed_csv_report(tmp_path, built_dataset):
    """--out report.csv.gz: the CSV report's bytes, gzip-compressed; another .gz is refused."""
    import gzip

    assert _cli("generate-register", "--communities", "30", "--seed", "6", "--out", str(tmp_path)).returncode == 0
    registers = [str(tmp_path / "communities.csv"), str(tmp_path / "workers.csv")]
    for name in ("report.csv", "report.csv.gz"):
        run = _cli("check", *registers, "--out", str(tmp_path / name), "-q", "--data", str(built_dataset))
        assert run.returncode == 0, run.stderr
        assert name in run.stdout
    packed = (tmp_path / "report.csv.gz").read_bytes()
    assert packed[:2] == b"\x1f\x8b"
    assert gzip.decompress(packed) == (tmp_path / "report.csv").read_bytes()
    refused = _cli("check", *registers, "--out", str(tmp_path / "report.json.gz"), "-q", "--data", str(built_dataset))
    assert refused.returncode != 0 and ".csv.gz" in refused.stderr
    assert not (tmp_path / "report.json.gz").exists()
