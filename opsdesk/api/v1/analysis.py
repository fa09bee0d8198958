"""REST API: process analysis from the incident history (issue 8).

Process owners, incident managers and administrators only; for anyone else every route is a
404. Every route takes the same filters: the period (`start`, `end`: local days in the site's
time zone, both included; 90 days up to today by default, at most 366), `priority` (1-4),
`group` (a group code: incidents the group held at some point), `category` (a path, with its
sub-categories), `service` (a code) and `channel` (the source code). Times are whole seconds of
business time on each incident's resolution calendar unless named wall time; the summaries
give count, total, mean, median and p90 (nearest rank) of per-incident values.
"""

from datetime import date, datetime

from django.utils import timezone
from ninja import Query, Router, Schema
from pydantic import Field

from opsdesk.core.dbrouter import reporting_view
from opsdesk.measures import analysis as an
from opsdesk.measures.analysis import labels

from .schemas import ERRORS

router = Router()


class AnalysisQuery(Schema):
    start: date | None = Field(None, description="First day (default: 89 days before `end`)")
    end: date | None = Field(None, description="Last day, included (default: today)")
    priority: str | None = Field(None, description="Priority level, e.g. 2 (or P2)")
    group: str | None = Field(None, description="Group code: incidents it held at some point")
    category: str | None = Field(None, description="Category path, sub-categories included")
    service: str | None = Field(None, description="Service code")
    channel: str | None = Field(None, description="Source code (SPEC §2 来源), e.g. 01 phone")


class RecordsQuery(AnalysisQuery):
    figure: str = Field(description=f"One of: {', '.join(an.FIGURES)}")
    key: str = Field("", description="The row's key, as the other routes give it")


class StatsOut(Schema):
    count: int
    total: int
    mean: int | None
    median: int | None
    p90: int | None


class TimeRowOut(Schema):
    key: str = Field(description="status code, group code (- for the service desk), line "
                                 "(1-3, user, vendor, approval) or holder key")
    label: str
    incidents: int
    share: float | None = Field(description="Per cent of all time to resolution")
    on_clock: int = Field(description="Business seconds the resolution clock counted")
    business: StatsOut
    wall: StatsOut
    line: int | None = None
    parts: dict[str, int] = Field(default_factory=dict,
                                  description="Groups: queue, work and pending seconds")


class FindingOut(Schema):
    text: str
    figure: str
    key: str
    number: str


class SummaryOut(Schema):
    start: date
    end: date
    incidents: int
    time_to_resolution: StatsOut
    time_to_resolution_wall: StatsOut
    on_clock: int
    handoffs_mean: float | None
    pingpong_incidents: int
    pingpong_share: float | None
    findings: list[FindingOut]


class TimeOut(Schema):
    statuses: list[TimeRowOut]
    groups: list[TimeRowOut]
    lines: list[TimeRowOut]
    holders: list[TimeRowOut]


class BucketOut(Schema):
    handoffs: str
    incidents: int
    share: float | None


class PairOut(Schema):
    groups: list[str]
    incidents: int
    returns: int


class BouncedOut(Schema):
    number: str
    groups: list[str]
    returns: int
    time_to_resolution: int


class HandoffsOut(Schema):
    incidents: int
    buckets: list[BucketOut]
    total: int
    mean: float | None
    median: float | None
    hand_back_incidents: int
    pingpong_incidents: int
    pingpong_share: float | None
    pairs: list[PairOut]
    pingpong: list[BouncedOut] = Field(description="At most 50, most returns first")


class PathOut(Schema):
    key: str
    steps: list[str]
    label: str
    incidents: int
    share: float | None
    time_to_resolution: StatsOut


class FlowOut(Schema):
    key: str
    step: int = Field(description="0-based position of the source in the path")
    source: str
    target: str
    incidents: int
    mean_seconds: int | None = Field(description="Mean business time in the source step")


class PathsKindOut(Schema):
    common: list[PathOut]
    slowest: list[PathOut]
    flow: list[FlowOut]


class PathsOut(Schema):
    slow_path_minimum: int
    status: PathsKindOut
    group: PathsKindOut


class RecordOut(Schema):
    number: str
    short_description: str
    value: int


class RecordsOut(Schema):
    figure: str
    key: str
    label: str
    unit: str = Field(description="seconds (business time) or count")
    total: int
    incidents: list[RecordOut] = Field(description="At most 200, largest value first")


class SpellOut(Schema):
    start: datetime
    end: datetime
    status: int = Field(description="Status code (SPEC §2): 10 logged … 40 resolved")
    status_label: str
    group: str | None
    pending_reason: str | None
    holder: str | None
    holder_label: str
    wall: int
    business: int
    on_clock: bool


class IncidentFlowOut(Schema):
    number: str
    time_to_resolution: int
    time_to_resolution_wall: int
    on_clock: int
    status_path: list[str] = Field(description="Status codes in order")
    group_path: list[str]
    handoffs: int
    hand_backs: int
    bounces: list[list[str]]
    spells: list[SpellOut]


@router.get("summary", response={200: SummaryOut, **ERRORS}, summary="Analysis summary")
@reporting_view
def analysis_summary(request, query: Query[AnalysisQuery]):
    """How many incidents, their time to resolution, and the findings in plain sentences,
    biggest contributors first."""
    result = _build(request, query)
    return {"start": result.filters.first_day, "end": result.filters.last_day,
            "incidents": result.incidents, "time_to_resolution": _stats(result.open.business),
            "time_to_resolution_wall": _stats(result.open.wall), "on_clock": result.open.clock,
            "handoffs_mean": result.handoffs_mean,
            "pingpong_incidents": result.pingpong_incidents,
            "pingpong_share": result.pingpong_share,
            "findings": [{"text": f.text, "figure": f.figure, "key": f.key, "number": f.number}
                         for f in an.findings(result)]}


@router.get("time", response={200: TimeOut, **ERRORS}, summary="Where the time goes")
@reporting_view
def analysis_time(request, query: Query[AnalysisQuery]):
    """Time in each status, with each group (queue, work, pending), on each line (and with the
    user, vendors, approvers), and with each holder; with the part on the SLA clock."""
    result = _build(request, query)
    return {
        "statuses": [_row(r, labels.status_label(r.key)) for r in result.statuses],
        "groups": [_row(r, labels.group_label(r.key), line=an.line_of(r.key))
                   for r in result.groups],
        "lines": [_row(r, labels.line_label(r.key)) for r in result.lines],
        "holders": [_row(r, labels.holder_label(labels.holder_from_key(r.key)))
                    for r in result.holders]}


@router.get("handoffs", response={200: HandoffsOut, **ERRORS},
            summary="Hand-offs and ping-pong")
@reporting_view
def analysis_handoffs(request, query: Query[AnalysisQuery]):
    """Hand-offs per incident (desk → group, group → group, hand-backs), and the incidents that
    went back and forth between groups (A → B → A)."""
    result = _build(request, query)
    return {
        "incidents": result.incidents, "total": result.handoffs_total,
        "buckets": [{"handoffs": b, "incidents": n, "share": s}
                    for b, n, s in result.handoff_buckets],
        "mean": result.handoffs_mean, "median": result.handoffs_median,
        "hand_back_incidents": result.hand_back_incidents,
        "pingpong_incidents": result.pingpong_incidents,
        "pingpong_share": result.pingpong_share,
        "pairs": [{"groups": list(p.groups), "incidents": p.incidents, "returns": p.bounces}
                  for p in result.pingpong_pairs],
        "pingpong": [{"number": f.number, "groups": list(f.group_path),
                      "returns": len(f.bounces), "time_to_resolution": f.open_business}
                     for f in result.pingpong_list]}


@router.get("paths", response={200: PathsOut, **ERRORS}, summary="Paths through the lifecycle")
@reporting_view
def analysis_paths(request, query: Query[AnalysisQuery]):
    """The most common and the slowest paths through the statuses and between groups, and the
    step-to-step flows the Sankey graphs draw (counts and mean time in the source step)."""
    result = _build(request, query)
    return {"slow_path_minimum": result.slow_path_minimum,
            "status": _kind("status", result.status_paths, result.slow_status_paths,
                            result.status_flow),
            "group": _kind("group", result.group_paths, result.slow_group_paths,
                           result.group_flow)}


@router.get("records", response={200: RecordsOut, **ERRORS},
            summary="The incidents behind a number")
@reporting_view
def analysis_record_list(request, query: Query[RecordsQuery]):
    """The incidents counted in one row of a figure, each with its value, largest first."""
    an.check_may_analyse(request.auth)
    filters = _filters(query)
    found = an.analysis_records(user=request.auth, filters=filters, figure=query.figure,
                                key=query.key)
    return {"figure": found.figure, "key": found.key, "unit": found.unit, "total": found.total,
            "label": labels.figure_label(found.figure, found.key),
            "incidents": [{"number": r.number, "short_description": r.short_description,
                           "value": r.value} for r in found.rows]}


@router.get("incidents/{number}", response={200: IncidentFlowOut, **ERRORS},
            summary="One incident's timeline")
@reporting_view
def analysis_incident(request, number: str):
    """Each spell of one status with one group: who held it, wall and business seconds, and
    whether the resolution clock ran."""
    flow = an.flow_of(user=request.auth, number=number, now=timezone.now())
    return {
        "number": flow.number, "time_to_resolution": flow.open_business,
        "time_to_resolution_wall": flow.open_wall, "on_clock": flow.clock_business,
        "status_path": [str(s) for s in flow.status_path],
        "group_path": list(flow.group_path), "handoffs": flow.handoffs,
        "hand_backs": flow.hand_backs, "bounces": [list(pair) for pair in flow.bounces],
        "spells": [{"start": s.start, "end": s.end, "status": s.status,
                    "status_label": labels.status_label(s.status),
                    "group": s.group, "pending_reason": s.pending_reason,
                    "holder": s.holder_key,
                    "holder_label": labels.holder_label(s.holder) if s.holder else "",
                    "wall": s.wall, "business": s.business, "on_clock": s.on_clock}
                   for s in flow.spells]}


def _filters(query: AnalysisQuery):
    return an.analysis_filters(start=query.start, end=query.end, priority=query.priority,
                               group=query.group, category=query.category,
                               service=query.service, channel=query.channel)


def _build(request, query: AnalysisQuery):
    an.check_may_analyse(request.auth)  # before the filters: others learn nothing
    return an.analysis_build(user=request.auth, filters=_filters(query))


def _stats(stats) -> dict:
    return stats.as_dict()


def _row(row, label: str, **extra) -> dict:
    return {"key": row.key, "label": label, "incidents": row.incidents, "share": row.share,
            "on_clock": row.clock, "business": _stats(row.business), "wall": _stats(row.wall),
            "parts": row.parts, **extra}


def _kind(kind: str, common, slowest, flow) -> dict:
    def path(row):
        return {"key": row.key, "steps": [str(s) for s in row.steps],
                "label": labels.path_label(kind, row.steps), "incidents": row.business.count,
                "share": row.share, "time_to_resolution": _stats(row.business)}

    return {"common": [path(r) for r in common], "slowest": [path(r) for r in slowest],
            "flow": [{"key": link.key, "step": link.step, "source": str(link.source),
                      "target": str(link.target), "incidents": link.business.count,
                      "mean_seconds": link.business.mean} for link in flow]}

