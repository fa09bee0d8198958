"""The incidents behind one number of the analysis (the page's and the API's drill-down).

A figure names what was counted and a key which row: `holder` + `queue:NET` are the incidents
that waited in NET's queue, each with the business time it waited. The same timelines as the
analysis are read again (cohort.flows_stream), so the list always agrees with the number.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from opsdesk.core.exceptions import InvalidInput
from opsdesk.incidents.models import Incident

from .cohort import AnalysisFilters, cached, check_may_analyse, flows_stream
from .report import PATH_SEPARATOR, holder_line
from .timeline import NO_GROUP, IncidentFlow

RECORDS_LIMIT = 200
# figure -> the unit of its per-incident value: business seconds, or a count.
FIGURES = {"open": "seconds", "status": "seconds", "group": "seconds", "line": "seconds",
           "holder": "seconds", "handoffs": "count", "pingpong": "count",
           "status_path": "seconds", "group_path": "seconds", "status_path_done": "seconds",
           "group_path_done": "seconds", "status_flow": "seconds", "group_flow": "seconds"}


@dataclass
class RecordRow:
    number: str
    incident_id: int
    value: int
    short_description: str = ""


@dataclass
class Records:
    """The incidents behind one number: how many, and the first RECORDS_LIMIT, largest first."""

    figure: str
    key: str
    total: int
    rows: list[RecordRow]

    @property
    def unit(self) -> str:
        return FIGURES[self.figure]

    @property
    def value_total(self) -> int:
        return sum(row.value for row in self.rows)


def analysis_records(*, user, filters: AnalysisFilters, figure: str, key: str = "",
                     now: datetime | None = None, limit: int = RECORDS_LIMIT) -> Records:
    """The incidents counted in (figure, key), with each one's value, largest first.

    Without `now` it is read live, once per cohort.CACHE_SECONDS for the same question."""
    check_may_analyse(user)
    if figure not in FIGURES:
        raise InvalidInput(errors={"figure": _("Choose one of: %(choices)s.") % {
            "choices": ", ".join(FIGURES)}})
    if now is None:
        return cached("records", filters, lambda: _records(
            user, filters, figure, key, timezone.now(), limit), figure, key, limit)
    return _records(user, filters, figure, key, now, limit)


def _records(user, filters, figure: str, key: str, now: datetime, limit: int) -> Records:
    total = 0

    def matches():
        nonlocal total
        for flow in flows_stream(user=user, filters=filters, now=now):
            value = figure_value(flow, figure, key)
            if value is not None:
                total += 1
                yield RecordRow(flow.number, flow.facts.id, value)

    shown = heapq.nsmallest(limit, matches(), key=lambda r: (-r.value, r.number))
    texts = dict(Incident.objects.filter(pk__in=[r.incident_id for r in shown])
                 .values_list("id", "short_description"))
    for row in shown:
        row.short_description = texts.get(row.incident_id, "")
    return Records(figure=figure, key=key, total=total, rows=shown)


def figure_value(flow: IncidentFlow, figure: str, key: str) -> int | None:
    """The incident's value in this figure's row, or None when it is not counted there."""
    if figure == "open":
        return flow.open_business
    if figure in ("status", "group", "line", "holder"):
        return _time_with(flow, figure, key)
    if figure == "handoffs":
        bucket = str(min(flow.handoffs, 4)) if flow.handoffs < 4 else "4+"
        return flow.handoffs if key in ("", bucket) else None
    if figure == "pingpong":
        bounces = [tuple(sorted(pair)) for pair in flow.bounces]
        wanted = tuple(sorted(key.split("|"))) if key else None
        count = sum(1 for pair in bounces if wanted is None or pair == wanted)
        return count or None
    if figure.endswith("_done") and not flow.finished:
        return None  # the slowest paths count finished incidents only
    if figure in ("status_path", "group_path", "status_path_done", "group_path_done"):
        path = flow.status_path if figure.startswith("status") else flow.group_path
        return flow.open_business if PATH_SEPARATOR.join(map(str, path)) == key else None
    return _flow_step(flow, figure, key)


def _time_with(flow: IncidentFlow, figure: str, key: str) -> int | None:
    total, found = 0, False
    for spell in flow.spells:
        holder = spell.holder_key
        if figure == "status":
            match = str(spell.status) == key
        elif holder is None:
            match = False
        elif figure == "group":
            match = (spell.group or NO_GROUP) == key
        elif figure == "line":
            match = holder_line(spell.holder) == key
        else:
            match = holder == key
        if match:
            total, found = total + spell.business, True
    return total if found else None


def _flow_step(flow: IncidentFlow, figure: str, key: str) -> int | None:
    """The time in step i of the path if the incident went from source to target there."""
    try:
        step, source, target = key.split(":", 2)
        step = int(step)
    except ValueError:
        return None
    if figure == "status_flow":
        path, steps = flow.status_path, flow.status_steps
    else:
        path, steps = flow.group_path, flow.group_steps
    if step + 1 >= len(path) or (str(path[step]), str(path[step + 1])) != (source, target):
        return None
    return steps[step].business
