"""Reading registers: encodings as Excel writes them, header spellings, and refusal per row with the
file, row, column and reason — and nothing imported when anything is wrong."""
from __future__ import annotations

import io

import pytest
from openpyxl import Workbook

from policykg.compliance.columns import COMMUNITIES, WORKERS, register_columns
from policykg.compliance.generator import generate
from policykg.compliance.registers import RegisterError, community_keys, read_register
from policykg.compliance.run import check_registers

BASE = "https://w3id.org/policykg/"


@pytest.fixture(scope="module")
def small():
    return generate(3, seed=5)


def _text(registers) -> str:
    return registers.communities_csv().decode("utf-8-sig")


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gb18030", "gbk"])
def test_every_encoding_excel_writes_reads_the_same(small, encoding):
    register = read_register(_text(small).encode(encoding), "c.csv", COMMUNITIES)
    assert [r.values["community"] for r in register.rows] == [c["community"] for c in small.communities]
    assert register.rows[0].values["district"] == small.communities[0]["district"]


def test_headers_in_chinese_english_or_both(small):
    lines = _text(small).splitlines()
    cols = register_columns(COMMUNITIES)
    for header in ([c.zh for c in cols], [c.key for c in cols], [f"{c.zh}({c.key})" for c in cols]):
        text = "\r\n".join([",".join(header)] + lines[1:])
        assert len(read_register(text.encode(), "c.csv", COMMUNITIES).rows) == 3


def _refused(content: bytes, name="c.csv", register=COMMUNITIES, **kw):
    with pytest.raises(RegisterError) as info:
        read_register(content, name, register, **kw)
    return info.value.errors


def _with_cell(small, row: int, key: str, value: str) -> bytes:
    lines = _text(small).splitlines()
    keys = [c.key for c in register_columns(COMMUNITIES)]
    cells = lines[row - 1].split(",")
    cells[keys.index(key)] = value
    lines[row - 1] = ",".join(cells)
    return "\r\n".join(lines).encode()


def test_non_number_negative_and_fraction_are_refused_with_row_and_column(small):
    errors = _refused(_with_cell(small, 3, "households", "很多"))
    assert [(e.file, e.row, e.column) for e in errors] == [("c.csv", 3, "户数(households)")]
    assert "应为数字" in errors[0].reason
    assert "负数" in _refused(_with_cell(small, 2, "residents", "-5"))[0].reason
    assert "整数" in _refused(_with_cell(small, 2, "residents", "3.5"))[0].reason
    assert "是" in _refused(_with_cell(small, 4, "resettlement_area", "maybe"))[0].reason


def test_unknown_and_missing_columns_are_refused(small):
    lines = _text(small).splitlines()
    errors = _refused(("\r\n".join([lines[0] + ",备注"] + lines[1:])).encode())
    assert errors[0].row == 1 and errors[0].column == "备注" and "未知的列" in errors[0].reason
    header = lines[0].split(",")
    errors = _refused(("\r\n".join([",".join(header[:-1])] + [",".join(l.split(",")[:-1]) for l in lines[1:]])).encode())
    assert any("缺少此列" in e.reason and e.column == header[-1] for e in errors)


def test_duplicates_and_required_values(small):
    lines = _text(small).splitlines()
    errors = _refused(("\r\n".join(lines + [lines[1]])).encode())
    assert errors[0].row == 5 and "重复" in errors[0].reason and "第2行" in errors[0].reason
    assert "必填" in _refused(_with_cell(small, 2, "community", ""))[0].reason


def test_a_worker_of_an_unknown_community_is_refused(small):
    keys = community_keys(read_register(small.communities_csv(), "c.csv", COMMUNITIES))
    text = small.workers_csv().decode("utf-8-sig").replace(small.communities[0]["community"], "无此社区")
    errors = _refused(text.encode(), "w.csv", WORKERS, communities=keys)
    assert errors and all("社区登记表中没有此社区" in e.reason and e.file == "w.csv" for e in errors)


def test_bad_files(small):
    assert "编码" in _refused(b"\xff\xfe\x00\x81\xff" * 10)[0].reason
    assert "为空" in _refused(b"")[0].reason
    assert "xlsx" in _refused(b"not a zip", "c.xlsx")[0].reason
    assert "不支持" in _refused(b"x", "c.pdf")[0].reason


def test_xlsx_register_reads_like_its_csv(small):
    from_xlsx = read_register(small.xlsx(COMMUNITIES), "c.xlsx", COMMUNITIES)
    from_csv = read_register(small.communities_csv(), "c.csv", COMMUNITIES)
    assert [r.values for r in from_xlsx.rows] == [r.values for r in from_csv.rows]


def test_xlsx_errors_name_the_row(small):
    wb = Workbook()
    ws = wb.active
    ws.append([c.header for c in register_columns(COMMUNITIES)])
    ws.append(["平江区", "某街道", "某社区", 2015, "abc"])
    out = io.BytesIO()
    wb.save(out)
    errors = _refused(out.getvalue(), "c.xlsx")
    assert (errors[0].row, errors[0].column) == (2, "户数(households)")


def test_nothing_is_half_imported(checkset, small):
    """One bad worker row refuses the whole check: no report, no graph."""
    bad = small.workers_csv().decode("utf-8-sig").splitlines()
    bad[-1] = bad[-1].replace(",是,", ",也许,", 1)
    with pytest.raises(RegisterError) as info:
        check_registers(checkset, BASE, (small.communities_csv(), "c.csv"), ("\r\n".join(bad).encode(), "w.csv"))
    assert info.value.errors[0].row == len(bad)


def _read_both_ways(monkeypatch, content: bytes, name: str, register: str, **kw):
    """What read_register gives (its rows' numbers and values, or its errors and truncation) with the
    fast path for CSV rows and with every row read cell by cell."""
    from policykg.compliance import registers

    out = []
    for fast in (True, False):
        monkeypatch.setattr(registers, "_FAST", fast)
        try:
            got = read_register(content, name, register, **kw)
            out.append(("rows", [(r.number, r.values.cells) for r in got.rows],
                        [tuple(type(v) for v in r.values.cells) for r in got.rows]))
        except RegisterError as exc:
            out.append(("errors", exc.errors, exc.truncated))
    return out


def test_the_fast_path_reads_every_row_as_cell_by_cell_reading_does(monkeypatch):
    """Rows the fast path must hand to the full one (a bad number, an empty required value, a blank row,
    too few or too many cells, padded values) and problems it must find itself (a duplicate, an unknown
    community): the same rows or the same errors in the same order either way."""
    registers = generate(12, seed=7)
    keys = community_keys(read_register(registers.communities_csv(), "c.csv", COMMUNITIES))
    lines = registers.workers_csv().decode("utf-8-sig").splitlines()
    good = _read_both_ways(monkeypatch, "\r\n".join(lines).encode(), "w.csv", WORKERS, communities=keys)
    assert good[0] == good[1] and good[0][0] == "rows" and len(good[0][1]) == len(lines) - 1
    changed = list(lines)
    changed[3] = changed[3].replace(",是,", ", 是 ,", 1)                 # padded: read, not refused
    changed[5] = ""                                                        # blank line: skipped
    changed[6] = ",,,, ,"                                                  # blank cells: skipped
    changed[8] = changed[8] + ",,"                                         # empty extra cells: fine
    padded = _read_both_ways(monkeypatch, "\r\n".join(changed).encode(), "w.csv", WORKERS, communities=keys)
    assert padded[0] == padded[1] and padded[0][0] == "rows" and len(padded[0][1]) == len(lines) - 3
    changed[10] = changed[10].replace(",是,", ",也许,", 1)              # not a yes/no
    changed[12] = changed[12].rsplit(",", 3)[0]                            # too few cells: values missing
    changed[14] = changed[14] + ",多余"                                    # a value beyond the last column
    changed[16] = changed[15]                                              # a duplicate of the row before
    changed[18] = changed[18].replace(registers.communities[1]["community"], "无此社区", 1)
    bad = _read_both_ways(monkeypatch, "\r\n".join(changed).encode(), "w.csv", WORKERS, communities=keys)
    assert bad[0] == bad[1] and bad[0][0] == "errors"
    assert [e.row for e in bad[0][1]][:1] == [11] and any("重复" in e.reason and e.row == 17 for e in bad[0][1])
    assert any("社区登记表中没有此社区" in e.reason and e.row == 19 for e in bad[0][1])
    # more problems than are listed: the same first MAX_ERRORS and the same truncation
    many = [lines[0]] + [l.replace(",是,", ",也许,", 1) if i % 3 else l for i, l in enumerate(lines[1:] * 3)]
    truncated = _read_both_ways(monkeypatch, "\r\n".join(many).encode(), "w.csv", WORKERS, communities=keys)
    assert truncated[0] == truncated[1] and truncated[0][2] is True


def test_a_csv_is_read_the_same_in_pieces_and_a_quoted_line_end_stays_in_its_value(monkeypatch):
    from policykg.compliance import registers

    small = generate(40, seed=3)
    text = small.workers_csv().decode("utf-8-sig")
    whole = read_register(text.encode(), "w.csv", WORKERS)
    pieces = list(registers._blocks(text, 100))
    assert "".join(pieces) == text and len(pieces) > 10 and all(p.endswith("\n") for p in pieces[:-1])
    monkeypatch.setattr(registers, "BLOCK_CHARACTERS", 100)
    in_pieces = read_register(text.encode(), "w.csv", WORKERS)
    assert [(r.number, r.values.cells) for r in in_pieces.rows] == [(r.number, r.values.cells) for r in whole.rows]
    # a quoted name spanning a line end (so the text is read line by line, not in pieces): one value
    lines = text.splitlines(keepends=True)
    cells = lines[2].split(",")
    cells[3] = '"' + cells[3] + '\r\n第二行"'
    lines[2] = ",".join(cells)
    # pieces that would be cut at the quoted line end
    monkeypatch.setattr(registers, "BLOCK_CHARACTERS", len(lines[0]) + len(lines[1]) + 1)
    quoted = read_register("".join(lines).encode(), "w.csv", WORKERS)
    assert quoted.rows[1].values["name"] == cells[3].strip('"')
    assert len(quoted.rows) == len(whole.rows)
    assert [r.values.cells for r in quoted.rows[2:]] == [r.values.cells for r in whole.rows[2:]]
