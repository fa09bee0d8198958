"""SLA targets as people type and read them: "15 min", "4 h", "1 working day" (pure functions).

Targets are stored as business seconds on a calendar. A working day is that calendar's
workday_seconds (8 h in 5×8, 24 h in 7×24), so "1 working day" means different seconds on
different calendars, and a target is shown in working days only when it is a whole number of them.
"""

import re
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

MINUTE, HOUR = 60, 3600
# Unit words in English and Chinese, lower case, to the unit they mean.
UNITS = {
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes", "分", "分钟"), "min"),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours", "小时", "个小时", "时"), "h"),
    **dict.fromkeys(("d", "wd", "day", "days", "working day", "working days", "workday",
                     "workdays", "business day", "business days", "工作日", "个工作日", "天"),
                    "wd"),
}
_TARGET_RE = re.compile(r"^\s*(\d+(?:[.,]\d+)?)\s*([^\d\s].*?)?\s*$")


def target_parse(text: str, *, workday_seconds: int) -> int:
    """Business seconds of a typed target; raises ValueError with a message people can read."""
    match = _TARGET_RE.match(text or "")
    unit = UNITS.get(" ".join((match.group(2) or "").lower().split())) if match else None
    if match is None or unit is None:
        raise ValueError(_("Type a number and a unit, e.g. “15 min”, “4 h” or "
                           "“1 working day”."))
    try:
        number = Decimal(match.group(1).replace(",", "."))
    except InvalidOperation:
        raise ValueError(_("“%(text)s” is not a number.") % {"text": match.group(1)}) from None
    if unit == "wd" and not workday_seconds:
        raise ValueError(_("This calendar has no working days."))
    size = {"min": MINUTE, "h": HOUR, "wd": workday_seconds}[unit]
    seconds = number * size
    if seconds != seconds.to_integral_value() or seconds < MINUTE:
        raise ValueError(_("A target is at least one minute, in whole seconds."))
    return int(seconds)


def target_text(seconds: int, *, workday_seconds: int, round_the_clock: bool = False) -> str:
    """A target as people read it: working days when whole (not on 7×24), else hours or minutes."""
    if workday_seconds and not round_the_clock and seconds % workday_seconds == 0:
        days = seconds // workday_seconds
        return ngettext("%(n)s working day", "%(n)s working days", days) % {"n": days}
    if seconds % HOUR == 0:
        return _("%(n)s h") % {"n": seconds // HOUR}
    if seconds % MINUTE == 0 and seconds < HOUR:
        return _("%(n)s min") % {"n": seconds // MINUTE}
    return _("%(n)s min") % {"n": _trimmed(Decimal(seconds) / MINUTE)}


def _trimmed(value: Decimal) -> str:
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text
