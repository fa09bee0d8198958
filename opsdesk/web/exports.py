"""Responses for exports: a table as a CSV (streamed) or xlsx download, and which format a
request asks for (a `.csv`/`.xlsx` suffix, `?format=`, or the `Accept` header).

Shared by the pages (web/views/reports.py) and the API (api/v1/reports.py); the tables
themselves come from opsdesk.reporting.
"""

from django.http import FileResponse, StreamingHttpResponse
from django.utils.translation import gettext as _

from opsdesk.core.exceptions import InvalidInput
from opsdesk.reporting.tables import CONTENT_TYPES, About, Table, csv_stream, xlsx_file

FORMATS = ("csv", "xlsx")
ACCEPT = {"text/csv": "csv", CONTENT_TYPES["xlsx"]: "xlsx"}


def export_format(request, *, given: str = "", default: str = "csv") -> str:
    """The format asked for: `given` (a URL suffix), else ?format=, else Accept, else default.
    InvalidInput for an unknown format."""
    fmt = (given or request.GET.get("format") or "").lower()
    if not fmt:
        accept = request.headers.get("Accept", "")
        fmt = next((f for mime, f in ACCEPT.items() if mime in accept), default)
    if fmt not in FORMATS:
        raise InvalidInput(errors={"format": _("Export as csv or xlsx.")})
    return fmt


def table_response(tables: list[Table], *, fmt: str, filename: str,
                   about: About | None = None, omitted: int = 0):
    """The tables as a download named `filename` (without extension): CSV streamed as it is
    written, xlsx from a temporary file. `omitted` rows left out are named in a header."""
    name = f"{filename}.{fmt}"
    if fmt == "csv":
        response = StreamingHttpResponse(csv_stream(tables), content_type=CONTENT_TYPES["csv"])
        response["Content-Disposition"] = f'attachment; filename="{name}"'
    else:
        response = FileResponse(xlsx_file(tables, about), as_attachment=True, filename=name,
                                content_type=CONTENT_TYPES["xlsx"])
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"  # people's names and their incidents
    if omitted:
        response["X-Opsdesk-Rows-Omitted"] = str(omitted)
    return response
