"""Tables as files: CSV (UTF-8 with a BOM, so Excel in China reads the Chinese) and Excel (xlsx).

Both are safe against formula injection (OWASP "CSV injection"): a text cell that starts with
= + - @, a tab or a carriage return (or their full-width forms, which Excel in a Chinese locale
also takes for a formula) is written with a leading single quote in CSV, and every text cell of
an xlsx file is written as a string, never as a formula. Numbers stay numbers.

A `Table` is a title, column labels (already in the reader's language) and rows of plain
values: text, numbers, booleans, dates and aware datetimes (written in the current time zone).
Rows may be a generator, so a long list is written as it is read.
"""

import csv
import io
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")
CSV_BOM = "\ufeff"
CSV_FLUSH_ROWS = 500
XLSX_CELL_MAX = 32_767  # Excel's limit on the characters of one cell
XLSX_SHEET_NAME_MAX = 31
XLSX_SPOOL_BYTES = 8 * 1024 * 1024
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass
class Table:
    """One table: a title (the sheet's name), column labels and rows of plain values."""

    title: str
    columns: list[str]
    rows: Iterable[list]
    widths: list[int] = field(default_factory=list)  # xlsx column widths (characters)


@dataclass
class About:
    """What a file holds, for its "About" sheet: (label, value) lines."""

    title: str
    lines: list[tuple[str, object]] = field(default_factory=list)


def csv_text(value) -> str:
    """One CSV cell: text with formula-like starts quoted; dates in the current time zone."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if timezone.is_aware(
            value) else value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (int, float, Decimal)):
        return _number_text(value)
    return formula_safe(str(value))


def formula_safe(text: str) -> str:
    """The text with a leading single quote when a spreadsheet would take it for a formula: it
    starts with a formula character, a line break or a tab, or has one after leading spaces
    (some spreadsheets trim them before they look)."""
    start = text.lstrip(" \u3000")
    return "'" + text if start.startswith(FORMULA_STARTS) else text


def _number_text(value) -> str:
    if isinstance(value, float):
        return f"{value:.4f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))
    return str(value)


def csv_stream(tables: list[Table]) -> Iterator[bytes]:
    """The tables as CSV bytes, a chunk at a time: the BOM, then each table (a title line and
    a blank line between tables when there are several)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write(CSV_BOM)
    for index, table in enumerate(tables):
        if len(tables) > 1:
            if index:
                writer.writerow([])
            writer.writerow([formula_safe(table.title)])
        writer.writerow([formula_safe(str(label)) for label in table.columns])
        for count, row in enumerate(table.rows, start=1):
            writer.writerow([csv_text(value) for value in row])
            if count % CSV_FLUSH_ROWS == 0:
                yield _drain(buffer)
    yield _drain(buffer)


def _drain(buffer: io.StringIO) -> bytes:
    data = buffer.getvalue().encode("utf-8")
    buffer.seek(0)
    buffer.truncate()
    return data


def csv_bytes(tables: list[Table]) -> bytes:
    """The whole CSV file at once (for mail attachments)."""
    return b"".join(csv_stream(tables))


def xlsx_file(tables: list[Table], about: About | None = None):
    """The tables as an xlsx workbook, one sheet each (and an "About" sheet), in a temporary
    file positioned at its start. Written in openpyxl's write-only mode, row by row."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    used: set[str] = set()
    for table in tables:
        _sheet(workbook, table, _sheet_name(table.title, used))
    if about is not None:
        _about_sheet(workbook, about, _sheet_name(about.title, used))
    # The caller closes it (a FileResponse does, after sending it).
    out = tempfile.SpooledTemporaryFile(max_size=XLSX_SPOOL_BYTES)  # noqa: SIM115
    workbook.save(out)
    out.seek(0)
    return out


def xlsx_bytes(tables: list[Table], about: About | None = None) -> bytes:
    """The whole xlsx file at once (for mail attachments and tests)."""
    with xlsx_file(tables, about) as handle:
        return handle.read()


def _sheet(workbook, table: Table, name: str) -> None:
    from openpyxl.styles import Font

    sheet = workbook.create_sheet(name)
    for index, label in enumerate(table.columns):
        width = table.widths[index] if index < len(table.widths) else max(len(str(label)) + 4, 12)
        sheet.column_dimensions[_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    sheet.append([_xlsx_cell(sheet, str(label), font=bold) for label in table.columns])
    for row in table.rows:
        sheet.append([_xlsx_cell(sheet, value) for value in row])


def _about_sheet(workbook, about: About, name: str) -> None:
    from openpyxl.styles import Font

    sheet = workbook.create_sheet(name)
    sheet.column_dimensions["A"].width = 28
    sheet.column_dimensions["B"].width = 90
    bold = Font(bold=True)
    for label, value in about.lines:
        sheet.append([_xlsx_cell(sheet, str(label), font=bold), _xlsx_cell(sheet, value)])


def _xlsx_cell(sheet, value, font=None):
    """A value for a write-only row: text always stays text (never a formula or an error code),
    datetimes are local; a plain value when openpyxl keeps it as it is (much faster than a cell
    object per value), a cell object only where one is needed."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE

    if isinstance(value, bool):
        value = _("Yes") if value else _("No")
    elif isinstance(value, datetime):
        value = (timezone.localtime(value) if timezone.is_aware(value) else value).replace(
            tzinfo=None)
    elif value is not None and not isinstance(value, (int, float, Decimal, date)):
        value = ILLEGAL_CHARACTERS_RE.sub("", str(value))[:XLSX_CELL_MAX]
        if value.startswith("=") or value in ERROR_CODES:
            cell = WriteOnlyCell(sheet, value=value)
            cell.data_type = "s"  # openpyxl would store "=…" as a formula
            if font is not None:
                cell.font = font
            return cell
    if font is None:
        return value
    cell = WriteOnlyCell(sheet, value=value)
    cell.font = font
    return cell


def _sheet_name(title: str, used: set[str]) -> str:
    """A valid, unique sheet name: no []:*?/\\ characters, at most 31 characters."""
    name = "".join(" " if c in "[]:*?/\\" else c for c in str(title)).strip("' ") or "Sheet"
    name = name[:XLSX_SHEET_NAME_MAX]
    candidate, n = name, 2
    while candidate.lower() in used:
        suffix = f" ({n})"
        candidate = name[:XLSX_SHEET_NAME_MAX - len(suffix)] + suffix
        n += 1
    used.add(candidate.lower())
    return candidate


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)
