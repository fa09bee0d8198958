"""The record of exports and sent reports.

opsdesk has no security audit log yet (issue 9 adds one). Until then every export and every
scheduled report sent is written to the `opsdesk.reporting.exports` logger at INFO, one line
with who, what, the format, the filters and the row count; issue 9 should write these to its
audit log instead, here, in this one function.
"""

import logging

logger = logging.getLogger("opsdesk.reporting.exports")


def export_recorded(*, user, what: str, fmt: str, params: str = "", rows: int | None = None,
                    to: list[str] | None = None) -> None:
    """Note one export (or one scheduled report sent): who, what, format, filters, rows."""
    logger.info("export user=%s what=%s format=%s rows=%s params=%s%s",
                getattr(user, "username", "-"), what, fmt, "-" if rows is None else rows,
                params or "-", f" to={','.join(to)}" if to else "")
