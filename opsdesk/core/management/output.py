"""Console output shared by the opsdesk commands."""

import unicodedata

from django.utils.translation import gettext as _


def display_width(text: str) -> int:
    """How many terminal columns text takes: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def table(rows: list[tuple[str, ...]]) -> str:
    """Rows as left-aligned columns; the first row is the header."""
    widths = [max(display_width(str(row[i])) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(str(cell) + " " * (width - display_width(str(cell)))
                       for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def accounts_table(accounts) -> str:
    """The demo accounts and their passwords, to sign in with."""
    rows = [(_("username"), _("role"), _("password"))]
    rows += [(a.username, str(a.role), a.password) for a in accounts]
    return table(rows)
