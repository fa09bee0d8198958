"""Summaries of per-incident durations: count, total, mean, median and p90.

Rules (so a hand count gives the same numbers): each value is one incident's total, in whole
seconds; the mean and the median are rounded to whole seconds (the median of an even count is
the mean of the two middle values); p90 is the nearest rank, the value at position ⌈0.9 × n⌉
of the sorted values.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import median


@dataclass(frozen=True)
class Stats:
    """Count, total, mean, median and p90 of per-incident seconds (None when there are none)."""

    count: int
    total: int
    mean: int | None
    median: int | None
    p90: int | None

    def as_dict(self) -> dict:
        return {"count": self.count, "total": self.total, "mean": self.mean,
                "median": self.median, "p90": self.p90}


def stats_of(values: list[int]) -> Stats:
    """The summary of these per-incident values (seconds)."""
    if not values:
        return Stats(0, 0, None, None, None)
    ordered = sorted(values)
    total = sum(ordered)
    rank = math.ceil(0.9 * len(ordered))
    return Stats(count=len(ordered), total=total, mean=round(total / len(ordered)),
                 median=round(median(ordered)), p90=ordered[rank - 1])


def share(part: int, whole: int) -> float | None:
    """part / whole in per cent, one decimal; None when the whole is nothing."""
    if not whole:
        return None
    return round(100 * part / whole, 1)
