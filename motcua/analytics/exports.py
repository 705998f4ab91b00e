"""A dashboard table as a file: CSV (UTF-8 with a byte-order mark, so Excel shows Vietnamese) or XLSX (XlsxWriter:
a title row, the period and scope, the two-row heading of the report, numbers as numbers, shares as percentages).
"""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from .dashboard import Filters, Table

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
MAX_ROWS = 50_000  # a dossier list larger than this is cut (the page says how many there are)


def filename(table: Table, filters: Filters, fmt: str) -> str:
    s, e = filters.scope.start, filters.scope.end
    return f"{table.slug}_{s:%Y%m%d}-{e:%Y%m%d}.{fmt}"


def _header(table: Table) -> list[str]:
    return [f"{c.group} - {c.label}" if c.group else c.label for c in table.columns]


def _csv_value(cell) -> object:
    if cell.value is None:
        return ""
    if cell.kind == "rate":
        return f"{cell.value * 100:.1f}"  # a percentage, with a dot: machines read CSV
    if cell.kind == "float":
        return f"{cell.value:.2f}"
    return cell.value


def to_csv(table: Table) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    header = _header(table)
    header = [f"{h} (%)" if c.kind == "rate" else h for h, c in zip(header, table.columns, strict=True)]
    writer.writerow(header)
    for row in table.rows + ([table.total] if table.total else []):
        writer.writerow([_csv_value(c) for c in row])
    return "\ufeff".encode() + out.getvalue().encode("utf-8")


def to_xlsx(table: Table, filters: Filters) -> bytes:
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_urls": False})
    sheet = book.add_worksheet(_("Số liệu")[:31])
    width = len(table.columns)
    title = book.add_format({"bold": True, "font_size": 14, "align": "center", "valign": "vcenter"})
    subtitle = book.add_format({"italic": True, "align": "center"})
    head = book.add_format(
        {"bold": True, "border": 1, "align": "center", "valign": "vcenter", "text_wrap": True, "bg_color": "#EEF2F7"}
    )
    formats = {
        "int": book.add_format({"border": 1, "num_format": "#,##0"}),
        "float": book.add_format({"border": 1, "num_format": "0.0"}),
        "rate": book.add_format({"border": 1, "num_format": "0.0%"}),
        "text": book.add_format({"border": 1, "text_wrap": True, "valign": "top"}),
    }
    bold = {
        "int": book.add_format({"border": 1, "bold": True, "num_format": "#,##0"}),
        "float": book.add_format({"border": 1, "bold": True, "num_format": "0.0"}),
        "rate": book.add_format({"border": 1, "bold": True, "num_format": "0.0%"}),
        "text": book.add_format({"border": 1, "bold": True}),
    }

    last = max(width - 1, 0)
    _line(sheet, 0, last, table.title.upper(), title)
    _line(
        sheet,
        1,
        last,
        _("Kỳ báo cáo: %(p)s — Phạm vi: %(w)s") % {"p": filters.period_label, "w": filters.where_label},
        subtitle,
    )
    _line(sheet, 2, last, _("Lập lúc %(t)s") % {"t": timezone.localtime().strftime("%H:%M %d/%m/%Y")}, subtitle)
    row = 4
    if table.grouped:
        for h in table.heading:
            first, span = h["first"], h["span"]
            if not h["group"]:
                sheet.merge_range(row, first, row + 1, first, h["label"], head)
                continue
            if span > 1:
                sheet.merge_range(row, first, row, first + span - 1, h["label"], head)
            else:
                sheet.write(row, first, h["label"], head)
            for i in range(span):
                sheet.write(row + 1, first + i, table.columns[first + i].label, head)
        row += 2
    else:
        for col, c in enumerate(table.columns):
            sheet.write(row, col, c.label, head)
        row += 1
    sheet.freeze_panes(row, 0)
    for cells, fmts in [(r, formats) for r in table.rows] + ([(table.total, bold)] if table.total else []):
        for col, cell in enumerate(cells):
            fmt = fmts[cell.kind if cell.kind in fmts else "text"]
            if cell.value is None or cell.value == "":
                sheet.write_blank(row, col, None, fmt)
            elif cell.kind in ("int", "float", "rate"):
                sheet.write_number(row, col, cell.value, fmt)
            else:
                sheet.write_string(row, col, cell.text, fmt)
        row += 1
    if table.note:
        _line(sheet, row + 1, last, table.note, None)
    for col, c in enumerate(table.columns):
        sheet.set_column(col, col, 40 if c.kind == "text" and col < 3 else 14)
    book.close()
    return buffer.getvalue()


def _line(sheet, row: int, last: int, text: str, fmt) -> None:
    """A line of text across the table's width."""
    if last:
        sheet.merge_range(row, 0, row, last, text, fmt)
    else:
        sheet.write(row, 0, text, fmt)


def response(table: Table, fmt: str, filters: Filters) -> HttpResponse:
    body = to_csv(table) if fmt == "csv" else to_xlsx(table, filters)
    resp = HttpResponse(body, content_type=FORMATS[fmt])
    resp["Content-Disposition"] = f'attachment; filename="{filename(table, filters, fmt)}"'
    resp["Cache-Control"] = "no-store"
    return resp
