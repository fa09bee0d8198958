"""The KPI engine (contract 2 of issue 8): definitions with their targets, values for a period
and filters, 12-month trends and breakdowns, each number with the link to its incidents.

Rates, means and volumes are sums of the daily rollup (`KpiDaily`, kept by rollups.py);
medians are exact, from the per-incident facts; the backlog is read live from the incidents;
satisfaction comes from the surveys app, deflection from the knowledge app. See README.md.
"""

from dataclasses import dataclass, replace
from datetime import date, timedelta

from django.utils.translation import gettext as _

from opsdesk.core.exceptions import InvalidInput

from . import figures, links
from .definitions import DEFLECTION, MEAN, MEDIAN, RATE, VOLUME, KpiDefinition, definitions
from .selectors import targets_current

BREAKDOWNS = ("group", "category", "service", "priority", "channel")


@dataclass(frozen=True)
class KpiFilters:
    """The period (dates in the site's time zone, end exclusive) and optional dimensions."""

    start: date
    end: date
    group_id: int | None = None
    category_id: int | None = None
    service_id: int | None = None
    priority_level: int | None = None
    channel: str | None = None  # the incident's source code (SPEC §2 来源)

    def previous(self) -> "KpiFilters":
        """The period of the same length just before this one, same dimensions."""
        length = self.end - self.start
        return replace(self, start=self.start - length, end=self.start)

    @property
    def has_dimension(self) -> bool:
        return any(v not in (None, "") for v in (self.group_id, self.category_id,
                                                 self.service_id, self.priority_level,
                                                 self.channel))


@dataclass(frozen=True)
class KpiValue:
    """A KPI's value for the filters: None when there is nothing to count."""

    code: str
    value: float | None
    numerator: float | None
    denominator: float | None
    records_url: str  # the workspace list of the incidents counted (the denominator)
    target: float | None
    met: bool | None  # None: no target, or no value
    numerator_url: str = ""  # the incidents of the numerator, for rates


@dataclass(frozen=True)
class TrendPoint:
    """One month of a trend: `month` is its first day."""

    month: date
    value: float | None
    records_url: str
    count: int = 0


@dataclass(frozen=True)
class BreakdownRow:
    """One group, category, service, priority or channel: its value and how many it counts."""

    label: str
    key: str
    value: float | None
    count: int
    records_url: str


def kpi_definitions() -> list[KpiDefinition]:
    """Every KPI, with the process owner's target where one is stored (one query)."""
    stored = targets_current()
    return [replace(d, target=stored[d.code]) if d.code in stored else d for d in definitions()]


def kpi_definition(*, code: str) -> KpiDefinition:
    """One KPI by its code; InvalidInput names the codes that exist."""
    for definition in kpi_definitions():
        if definition.code == code:
            return definition
    raise InvalidInput(errors={"code": _("Unknown KPI “%(code)s”. Use one of: %(codes)s.") % {
        "code": code, "codes": ", ".join(d.code for d in definitions())}})


def kpi_values(*, filters: KpiFilters, codes: list[str] | None = None) -> dict[str, KpiValue]:
    """The value of each KPI (all, or those codes) for the filters, in a few queries."""
    _check_period(filters)
    wanted = [kpi_definition(code=c) for c in codes] if codes else kpi_definitions()
    kinds = {d.kind for d in wanted}
    sums = figures.daily_sums(filters) if kinds & {RATE, MEAN, VOLUME, DEFLECTION} else {}
    medians = figures.medians(filters, [d.fields[0] for d in wanted if d.kind == MEDIAN])
    values = {}
    for d in wanted:
        if d.kind == MEDIAN:
            value, count = medians[d.fields[0]]
            result = (value, None, count)
        else:
            result = figures.value_of(d, filters, sums)
        values[d.code] = _kpi_value(d, filters, *result)
    return values


def kpi_trend(*, code: str, filters: KpiFilters, months: int = 12) -> list[TrendPoint]:
    """The KPI for each of the `months` calendar months up to the one the period ends in."""
    _check_period(filters)
    if not 1 <= months <= 60:
        raise InvalidInput(errors={"months": _("Give between 1 and 60 months.")})
    definition = kpi_definition(code=code)
    return figures.trend(definition, filters, months)


def kpi_breakdown(*, code: str, filters: KpiFilters, by: str) -> list[BreakdownRow]:
    """The KPI per group, category, service, priority or channel, largest count first."""
    _check_period(filters)
    if by not in BREAKDOWNS:
        raise InvalidInput(errors={"by": _("Break down by one of: %(choices)s.") % {
            "choices": ", ".join(BREAKDOWNS)}})
    return figures.breakdown(kpi_definition(code=code), filters, by)


def kpi_backlog_ages(*, filters: KpiFilters) -> list[BreakdownRow]:
    """Open incidents now by age bucket (the backlog KPI's own table)."""
    return figures.backlog_ages(filters)


def _kpi_value(d: KpiDefinition, filters: KpiFilters, value, numerator, denominator) -> KpiValue:
    met = None
    if d.target is not None and value is not None and d.higher_is_better is not None:
        met = value >= d.target if d.higher_is_better else value <= d.target
    counted, numerator_url = links.urls(d, filters)
    return KpiValue(code=d.code, value=value, numerator=numerator, denominator=denominator,
                    records_url=counted, target=d.target, met=met, numerator_url=numerator_url)


MAX_PERIOD = timedelta(days=366 * 5)


def _check_period(filters: KpiFilters) -> None:
    if filters.end <= filters.start:
        raise InvalidInput(errors={"end": _("The end must be after the start.")})
    if filters.end - filters.start > MAX_PERIOD:
        raise InvalidInput(errors={"start": _("Choose a period of at most five years.")})
