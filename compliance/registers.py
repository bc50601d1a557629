"""Reading registers: CSV (UTF-8 with or without BOM, GB18030/GBK as Excel exports them) or XLSX.

Every problem is reported with the file, the row (as the spreadsheet numbers it: the header is
row 1), the column and the reason, and all of them at once (up to :data:`MAX_ERRORS`): a register
with any error is refused as a whole, so nothing is half-imported.
"""
from __future__ import annotations

import csv
import hashlib
import io
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from operator import itemgetter
from decimal import Decimal, InvalidOperation
from pathlib import Path

from policykg.compliance.columns import (COMMUNITIES, COMMUNITY_KEY, WORKER_KEY, WORKERS, Column,
                                         register_columns)

MAX_ERRORS = 200
TRUE_WORDS = {"是", "有", "y", "yes", "true", "1", "√", "✓", "已取得", "已设立"}
FALSE_WORDS = {"否", "无", "n", "no", "false", "0", "×", "✗", "未取得", "未设立"}
REGISTER_WORDS = {COMMUNITIES: "社区登记表 communities register", WORKERS: "社区工作者登记表 workers register"}


@dataclass(frozen=True)
class RowError:
    file: str
    row: int | None
    column: str | None
    reason: str

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f" 第{self.row}行 (row {self.row})"
        if self.column:
            where += f" 列“{self.column}” (column {self.column})"
        return f"{where}: {self.reason}"

    def as_dict(self) -> dict:
        return {"file": self.file, "row": self.row, "column": self.column, "reason": self.reason}


class RegisterError(Exception):
    """A register refused; ``errors`` lists every problem found (file, row, column, reason)."""

    def __init__(self, errors: list[RowError], truncated: bool = False):
        self.errors = errors
        self.truncated = truncated
        more = " …" if truncated else ""
        super().__init__("\n".join(str(e) for e in errors[:20]) + (f"\n… ({len(errors)} errors)" if len(errors) > 20 else "") + more)


class RowValues(Mapping):
    """A row's values by column key (int | Decimal | bool | str, None when missing): a read-only mapping
    over a tuple, the keys' positions shared by every row of the register. A dict a row held 80 MB for
    10,000 communities and their 100,000 workers, this 48 MB (tracemalloc): the registers are most of
    the memory of a large check's main process."""

    __slots__ = ("_at", "cells")

    def __init__(self, at: dict[str, int], cells: tuple):
        self._at = at
        self.cells = cells

    def __getitem__(self, key: str):
        return self.cells[self._at[key]]

    def get(self, key: str, default=None):
        at = self._at.get(key)
        return default if at is None else self.cells[at]

    def __iter__(self):
        return iter(self._at)

    def __len__(self) -> int:
        return len(self._at)

    def __repr__(self) -> str:
        return repr(dict(self))


@dataclass(slots=True)
class Row:
    number: int                 # the spreadsheet's row number (header = 1)
    values: RowValues           # column key → value (a Mapping)


@dataclass
class Register:
    kind: str                   # communities or workers
    name: str                   # the file's name as given
    content: bytes              # the file as uploaded (its hash names the register)
    rows: list[Row]

    @property
    def positions(self) -> dict[str, int]:
        """Column key → position of its value in every row's ``values.cells``."""
        return {col.key: i for i, col in enumerate(register_columns(self.kind))}

    @cached_property
    def digest(self) -> str:
        """The first 16 hex digits of the SHA-256 of kind and file: the register's id. Hashed once: every
        chunk of a large register names its graph and rows by it (a million workers' 100 MB file hashed
        three times a chunk took 18 CPU seconds over 40 chunks)."""
        return hashlib.sha256(self.kind.encode() + b"\0" + self.content).hexdigest()[:16]


def _normalise_header(text) -> str:
    text = unicodedata.normalize("NFKC", str(text or "")).strip().lower()
    return re.sub(r"\s+", "", text)


def _header_map(register: str) -> dict[str, Column]:
    """Every accepted spelling of every header: the template's 户数(households), 户数, households."""
    out = {}
    for col in register_columns(register):
        for spelling in (col.header, col.zh, col.key, f"{col.zh}({col.key})", f"{col.key}({col.zh})"):
            out[_normalise_header(spelling)] = col
    return out


def decode_csv(content: bytes, name: str) -> str:
    """UTF-8 (a BOM is dropped), else GB18030 (a superset of GBK and GB2312, as Excel saves 'CSV' on Chinese Windows)."""
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return content.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise RegisterError([RowError(name, None, None,
                                      f"无法识别的文字编码(需 UTF-8 或 GB18030/GBK) (cannot decode: expected UTF-8 or GB18030/GBK: {exc})")])


def _lines(text: str):
    """The text's lines, each with its line end, one at a time: csv.reader reads them as from a file
    opened with newline="" (a quoted value may span lines), without the copy io.StringIO makes (four
    bytes a character for Chinese text: 400 MB for a million workers)."""
    start, end = 0, len(text)
    while start < end:
        stop = text.find("\n", start)
        stop = end if stop < 0 else stop + 1
        yield text[start:stop]
        start = stop


def _cells_csv(content: bytes, name: str):
    text = decode_csv(content, name)
    if not text.strip():
        raise RegisterError([RowError(name, None, None, "文件为空 (the file is empty)")])
    if "\r" in text and text.count("\r") != text.count("\r\n"):   # lines ending in a lone \r (old Mac)
        yield from csv.reader(io.StringIO(text, newline=""))
        return
    if '"' in text:   # a quoted value may span lines: read line by line
        yield from csv.reader(_lines(text))
        return
    for block in _blocks(text, BLOCK_CHARACTERS):
        yield from csv.reader(io.StringIO(block, newline=""))


BLOCK_CHARACTERS = 1 << 20


def _blocks(text: str, size: int):
    """The text in pieces of about ``size`` characters, each ending at a line end (the last at the text's):
    a text with no quote has no value spanning lines, so each piece is read by a csv.reader of its own,
    faster than one fed line by line (a copy of a piece at a time, not of the whole text)."""
    start, end = 0, len(text)
    while start < end:
        stop = text.find("\n", min(start + size, end))
        stop = end if stop < 0 else stop + 1
        yield text[start:stop]
        start = stop


def _cells_xlsx(content: bytes, name: str, register: str):
    """The rows of the sheet whose header row names most of this register's columns (a template holds
    both registers), read by calamine (Rust): openpyxl's read-only mode took about 2 s a 10,000 rows,
    calamine a tenth of it. Numbers come as floats (54.0), read exactly as openpyxl's ints are."""
    from python_calamine import CalamineWorkbook
    try:
        wb = CalamineWorkbook.from_filelike(io.BytesIO(content))
        sheets = [wb.get_sheet_by_index(i) for i in range(len(wb.sheet_names))]
    except Exception as exc:   # calamine raises several kinds for a file that is not a workbook
        raise RegisterError([RowError(name, None, None, f"不是有效的 .xlsx 文件 (not a valid .xlsx workbook: {exc})")]) from None
    headers = _header_map(register)
    best, best_score = None, -1
    for sheet in sheets:
        first = next(iter(sheet.to_python(nrows=1)), [])
        score = sum(1 for cell in first if _normalise_header(cell) in headers)
        if score > best_score:
            best, best_score = sheet, score
    if best is None:
        raise RegisterError([RowError(name, None, None, "工作簿中没有工作表 (the workbook has no sheet)")])
    for values in best.to_python(skip_empty_area=False):
        yield ["" if v is None else v for v in values]


def _parse_number(raw, column: Column) -> tuple[object, str | None]:
    # Most cells of a large CSV register are plain ASCII digits: those need no normalizing, no sign
    # or fraction check (the same values as below, a third of the time of reading such a register).
    if isinstance(raw, str) and raw.isascii() and raw.isdigit():
        if column.kind == "integer":
            return int(raw), None
        return Decimal(raw).normalize(), None
    if isinstance(raw, bool):
        return None, f"应为数字,而不是“{raw}” (expected a number)"
    if isinstance(raw, (int, float)):
        value = Decimal(str(raw))
    else:
        text = unicodedata.normalize("NFKC", str(raw)).strip().replace(",", "")
        try:
            value = Decimal(text)
        except InvalidOperation:
            return None, f"应为数字,而不是“{raw}” (expected a number, got {raw!r})"
    if not value.is_finite():
        return None, f"应为数字,而不是“{raw}” (expected a number, got {raw!r})"
    if value < 0:
        return None, f"不能为负数:{raw} (must not be negative)"
    if column.kind == "integer":
        if value != value.to_integral_value():
            return None, f"应为整数,而不是“{raw}” (expected a whole number)"
        return int(value), None
    return value.normalize() if value == value.to_integral_value() else value, None


def parse_cell(raw, column: Column) -> tuple[object, str | None]:
    """The value of one cell, or a reason it is refused. An empty cell is missing (None)."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if column.required:
            return None, "必填项为空 (required value missing)"
        return None, None
    if column.kind in ("integer", "number"):
        return _parse_number(raw, column)
    text = unicodedata.normalize("NFKC", str(raw)).strip()
    if column.kind == "boolean":
        if isinstance(raw, bool):
            return raw, None
        word = text.lower()
        if word in TRUE_WORDS:
            return True, None
        if word in FALSE_WORDS:
            return False, None
        return None, f"应为“是”或“否”,而不是“{raw}” (expected 是/yes or 否/no)"
    if column.kind == "choice":
        for words, cls in column.choices:
            if text in (words, cls) or text.lower() == cls.lower():
                return cls, None
        allowed = "、".join(w for w, _ in column.choices)
        return None, f"应为{allowed}之一,而不是“{raw}” (expected one of {allowed})"
    return text, None


def _blank(cells: list) -> bool:
    """A row with nothing but empty or blank cells (one join for a CSV row's strings)."""
    try:
        return not "".join(cells).strip()
    except TypeError:   # a spreadsheet's numbers
        return not any(str(c).strip() for c in cells)


_FAST = True   # CSV rows read by :func:`_read_rows`' fast path (the tests compare it with the full one)


class _Slow(Exception):
    """A cell the fast path of :func:`read_register` leaves to the full one (a problem, or not a CSV row)."""


class _Known(dict):
    """A column's parsed values by cell text, for the fast path: a text not seen yet is parsed here, kept
    when it has no problem (bounded: values that never repeat, pay), and refused (:class:`_Slow`) when it
    has one, so that the row is read again by the full path, which reports it."""

    __slots__ = ("column", "keep", "text")

    def __init__(self, column: Column, keep: bool):
        super().__init__()
        self.column, self.keep, self.text = column, keep, column.kind == "text"

    def __missing__(self, raw):
        if type(raw) is not str:
            raise _Slow
        if self.text and not self.keep and raw.strip():   # parse_cell's text, without its call (names)
            return unicodedata.normalize("NFKC", raw).strip()
        value, reason = parse_cell(raw, self.column)
        if reason:
            raise _Slow
        if self.keep:
            if len(self) > 50_000:
                self.clear()
            self[raw] = value
        return value


def read_register(content: bytes, name: str, register: str, communities: set[tuple] | None = None) -> Register:
    """Read and check one register; raise RegisterError listing every problem.

    ``communities``: for a workers register, the keys (区, 街道, 社区) of the communities register,
    so that a worker naming a community it does not list is refused."""
    suffix = Path(name).suffix.lower()
    if suffix == ".xlsx":
        cells = _cells_xlsx(content, name, register)
    elif suffix in (".csv", ".txt", ""):
        cells = _cells_csv(content, name)
    else:
        raise RegisterError([RowError(name, None, None, f"不支持的文件类型 {suffix}(需 .csv 或 .xlsx) (unsupported file type; expected .csv or .xlsx)")])
    header = next(cells, None)
    positions = _positions(header, name, register)
    return _read_rows(cells, name, register, positions, len(header), communities, fast=_FAST and suffix != ".xlsx",
                      content=content)


def _positions(header, name: str, register: str) -> dict[int, Column]:
    """The header's columns by position (blank headers left out); every problem of it raised at once."""
    errors: list[RowError] = []
    headers = _header_map(register)
    if not header or not any(str(h).strip() for h in header):
        raise RegisterError([RowError(name, 1, None, "缺少表头行 (no header row)")])
    positions: dict[int, Column] = {}
    for i, cell in enumerate(header):
        if not str(cell).strip():
            continue
        col = headers.get(_normalise_header(cell))
        if col is None:
            errors.append(RowError(name, 1, str(cell), f"未知的列 (unknown column for the {REGISTER_WORDS[register]})"))
        elif col in positions.values():
            errors.append(RowError(name, 1, str(cell), "列重复 (column given twice)"))
        else:
            positions[i] = col
    for col in register_columns(register):
        if col not in positions.values():
            errors.append(RowError(name, 1, col.header, "缺少此列 (column missing)"))
    if errors:
        raise RegisterError(errors)
    return positions


def _read_rows(cells, name: str, register: str, positions: dict[int, Column], width: int,
               communities: set[tuple] | None, fast: bool, content: bytes) -> Register:
    """The rows after the header, each checked; raise RegisterError listing every problem.

    ``fast`` (a CSV's rows, every cell a string): a row of exactly the header's width whose every cell
    is a text already seen in its column, or one without a problem, is read by one ``map`` over the
    columns' :class:`_Known` values (a million workers' rows: most of the reading's time was the loop
    over each row's cells in Python). Any other row (a problem, a blank row, too few or too many cells)
    is read cell by cell, as the whole register is when not ``fast``: the same values, the same errors."""
    errors: list[RowError] = []
    key_columns = COMMUNITY_KEY if register == COMMUNITIES else WORKER_KEY
    at = {col.key: i for i, col in enumerate(register_columns(register))}   # every row's key → position
    # one object per distinct cell text of a column: a million rows repeat their districts, communities,
    # posts, wages and days (shared, a worker's row takes about half the memory). Keyed by the cell's
    # text, or by (type, value) for a spreadsheet's numbers and booleans: True is not 1.
    memos: dict[int, dict] = {i: {} for i, col in positions.items() if col.kind != "text" or col.key in COMMUNITY_KEY}
    plan = [(i, col, at[col.key], memos.get(i)) for i, col in positions.items()]
    source = {at[col.key]: i for i, col in positions.items()}   # a row's position → its cell's in the file
    order = [source[t] for t in range(len(at))]
    in_order = itemgetter(*order) if order != list(range(width)) else tuple
    known = [_Known(positions[i], positions[i].kind != "text" or positions[i].key in COMMUNITY_KEY) for i in order]
    # a blank row has a required column's cell empty: it is left to the full path, which skips it
    fast = fast and any(col.required for col in positions.values())
    key_of = itemgetter(*(at[k] for k in key_columns))
    community_of = itemgetter(*(at[k] for k in COMMUNITY_KEY))
    getter = dict.__getitem__
    seen: dict[tuple, int] = {}
    rows: list[Row] = []
    truncated = False
    for number, cells_of_row in enumerate(cells, start=2):
        row_cells = None
        if fast and len(cells_of_row) == width:
            try:
                row_cells = tuple(map(getter, known, in_order(cells_of_row)))
            except _Slow:
                pass
        bad = False
        if row_cells is None:
            if _blank(cells_of_row):
                continue   # blank lines between blocks, as spreadsheets leave them
            row_cells, bad = _read_row(cells_of_row, name, number, plan, len(at), width, errors)
        if not bad:
            key = key_of(row_cells)
            first = seen.setdefault(key, number)
            if first != number:
                errors.append(RowError(name, number, None,
                                       f"与第{first}行重复:{' / '.join(map(str, key))} (duplicate of row {first})"))
            if communities is not None and community_of(row_cells) not in communities:
                errors.append(RowError(name, number, "社区(community)",
                                       f"社区登记表中没有此社区:{' / '.join(map(str, key[:3]))} (community not in the communities register)"))
        if len(errors) >= MAX_ERRORS:
            truncated = True
            break
        rows.append(Row(number, RowValues(at, row_cells)))
    if errors:
        raise RegisterError(errors, truncated)
    if not rows:
        raise RegisterError([RowError(name, None, None, "没有数据行 (no data rows)")])
    return Register(register, name, content, rows)


def _read_row(cells_of_row: list, name: str, number: int, plan: list, n_values: int, width: int,
              errors: list[RowError]) -> tuple[tuple, bool]:
    """One row read cell by cell, its problems added to ``errors``; its values, and whether it had a problem."""
    row_cells: list[object] = [None] * n_values
    bad = False
    n_cells = len(cells_of_row)
    for i, col, target, memo in plan:
        raw = cells_of_row[i] if i < n_cells else ""
        if memo is not None:
            key = raw if type(raw) is str else (type(raw), raw)
            parsed = memo.get(key)
            if parsed is None:
                if len(memo) > 50_000:   # values that never repeat (pay): a bound on the memo
                    memo.clear()
                parsed = memo[key] = parse_cell(raw, col)
            value, reason = parsed
        else:
            value, reason = parse_cell(raw, col)
        if reason:
            errors.append(RowError(name, number, col.header, reason))
            bad = True
        row_cells[target] = value
    if n_cells > width:
        extra = [c for c in cells_of_row[width:] if str(c).strip()]
        if extra:
            errors.append(RowError(name, number, None, f"表头以外还有数据:{extra[0]} (a value beyond the last column)"))
            bad = True
    return tuple(row_cells), bad


def community_keys(register: Register) -> set[tuple]:
    return {tuple(row.values[k] for k in COMMUNITY_KEY) for row in register.rows}
