"""How a vendor's times measure against its contract (pure functions, no database).

A contract's promise is business seconds on its support calendar (`clock.Calendar`); without a
calendar every second counts (7×24). Durations are measured on the same calendar, so a vendor
that answers on Monday morning a call made on Friday evening used no business time on a 5×8
contract.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import mean, median

from opsdesk.sla.clock import Calendar, business_add, business_seconds


def due_at(calendar: Calendar | None, start: datetime, seconds: int | None) -> datetime | None:
    """When a promise of `seconds` made at `start` falls due (None: nothing promised)."""
    if seconds is None:
        return None
    if calendar is None:
        return start + timedelta(seconds=seconds)
    return business_add(calendar, start, seconds)


def elapsed(calendar: Calendar | None, start: datetime, end: datetime | None) -> int | None:
    """Business seconds from start to end on the calendar (wall seconds without one)."""
    if end is None:
        return None
    if calendar is None:
        return max(0, int((end - start).total_seconds()))
    return business_seconds(calendar, start, end)


@dataclass(frozen=True)
class Figures:
    """Summary of a list of durations: how many, mean and median (None when empty)."""

    count: int
    mean_seconds: int | None
    median_seconds: int | None


def figures(durations: list[int]) -> Figures:
    """Count, mean and median of durations in seconds, rounded to whole seconds."""
    if not durations:
        return Figures(0, None, None)
    return Figures(len(durations), round(mean(durations)), round(median(durations)))


def percent(part: int, whole: int) -> float | None:
    """part / whole in per cent with one decimal; None when there is nothing to measure."""
    if not whole:
        return None
    return round(100 * part / whole, 1)
