"""Tables as files staff open in a spreadsheet: CSV (UTF-8 with a byte-order mark, so that Excel
reads the Chinese) and Excel (.xlsx, written by openpyxl), both with headings in the reader's
language, the citation of every row and the exact words it rests on."""
from __future__ import annotations

import csv
import io
from urllib.parse import quote

from flask import Response, abort

FORMATS = {"csv": "text/csv; charset=utf-8",
           "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
# Columns whose cells are long text: wrapped and wide in the spreadsheet.
WIDE_HEADINGS = {"原文", "Quote", "quote", "规范", "Norm", "norm", "陈述", "statement", "段落", "passage"}


def _csv_bytes(headings: list[str], rows: list[list]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(headings)
    writer.writerows(["" if v is None else v for v in row] for row in rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _xlsx_bytes(title: str, headings: list[str], rows: list[list]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    sheet = book.active
    # a sheet title is at most 31 characters and may not hold []:*?/\
    sheet.title = "".join(ch for ch in title if ch not in "[]:*?/\\")[:31] or "Sheet1"
    sheet.append(headings)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(["" if v is None else v for v in row])
    sheet.freeze_panes = "A2"
    for index, heading in enumerate(headings, 1):
        letter = sheet.cell(row=1, column=index).column_letter
        wide = heading in WIDE_HEADINGS
        sheet.column_dimensions[letter].width = 60 if wide else 16
        if wide:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def table_file(fmt: str, title: str, headings: list[str], rows: list[list], filename: str) -> Response:
    """The table as a download: ``fmt`` is csv or xlsx; ``filename`` without its extension (ASCII;
    the title, in Chinese, is the sheet's name)."""
    if fmt not in FORMATS:
        abort(404)
    body = _csv_bytes(headings, rows) if fmt == "csv" else _xlsx_bytes(title, headings, rows)
    name = f"{filename}.{fmt}"
    return Response(body, content_type=FORMATS[fmt], headers={
        "Content-Disposition": f"attachment; filename={name}; filename*=UTF-8''{quote(name)}"})
