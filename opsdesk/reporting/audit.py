"""The record of exports and sent reports.

Every export and every scheduled report sent goes through `export_recorded`: one line on the
`opsdesk.reporting.exports` logger at INFO (who, what, the format, the filters and the row
count), and one `export` event in the audit log (opsdesk.audit, issue 9).
"""

import logging

from opsdesk.audit.models import AuditKind
from opsdesk.audit.services import audit_record

logger = logging.getLogger("opsdesk.reporting.exports")


def export_recorded(*, user, what: str, fmt: str, params: str = "", rows: int | None = None,
                    to: list[str] | None = None) -> None:
    """Note one export (or one scheduled report sent): who, what, format, filters, rows."""
    logger.info("export user=%s what=%s format=%s rows=%s params=%s%s",
                getattr(user, "username", "-"), what, fmt, "-" if rows is None else rows,
                params or "-", f" to={','.join(to)}" if to else "")
    audit_record(kind=AuditKind.EXPORT, actor=user, target_text=what, details={
        "format": fmt, "params": params, "rows": rows, "to": to or []})
