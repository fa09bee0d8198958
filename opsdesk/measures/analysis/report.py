"""The whole analysis of a cohort: time per status, group, line and holder; hand-offs and
ping-pong; the common and the slow paths; the flows for the Sankey graphs.

`analysis_build` reads the cohort's timelines once (cohort.flows_stream) and keeps, per
incident, only the few numbers the medians need. Every time is business time on the incident's
resolution calendar unless named wall time (timeline.py says how each is measured).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from statistics import median

from django.utils import timezone

from opsdesk.accounts.models import SupportGroup
from opsdesk.core import lookups
from opsdesk.incidents.choices import Status

from .cohort import AnalysisFilters, cached, check_may_analyse, flows_stream
from .figures import Stats, share, stats_of
from .timeline import NO_GROUP, Holder, IncidentFlow

MAX_FLOW_STEPS = 8  # the Sankey graphs show the first steps of each path
TOP_PATHS = 10
PINGPONG_LISTED = 50
HANDOFF_BUCKETS = ("0", "1", "2", "3", "4+")
PATH_SEPARATOR = ">"


@dataclass
class TimeRow:
    """Time in one status, with one group, on one line or with one holder, over the incidents
    that had any (each incident's total is one value of the stats)."""

    key: str
    business: Stats
    wall: Stats
    clock: int = 0  # business seconds on the resolution clock, all incidents together
    share: float | None = None  # of all open (time to resolution) business time
    parts: dict[str, int] = field(default_factory=dict)  # group rows: queue, work, pending

    @property
    def incidents(self) -> int:
        return self.business.count


@dataclass
class PathRow:
    """One path through the lifecycle (statuses, or groups) and the incidents that took it."""

    key: str  # the steps joined by PATH_SEPARATOR
    steps: tuple
    business: Stats  # time to resolution of the incidents on this path
    share: float | None


@dataclass
class FlowLink:
    """Incidents that went from one step to the next, and how long they stayed in the first."""

    step: int  # 0-based position of the source in the path
    source: int | str
    target: int | str
    business: Stats

    @property
    def key(self) -> str:
        return f"{self.step}:{self.source}:{self.target}"


@dataclass
class PingPongPair:
    groups: tuple[str, str]  # sorted
    incidents: int
    bounces: int

    @property
    def key(self) -> str:
        return "|".join(self.groups)


@dataclass
class Bounced:
    """An incident that went back and forth between groups."""

    number: str
    group_path: tuple[str, ...]
    bounces: list[tuple[str, str]]
    open_business: int


@dataclass
class Analysis:
    """Everything the analysis page and the API show for one set of filters."""

    filters: AnalysisFilters
    now: datetime
    incidents: int
    open: TimeRow  # all incidents' time to resolution
    statuses: list[TimeRow]
    groups: list[TimeRow]
    lines: list[TimeRow]
    holders: list[TimeRow]
    handoff_buckets: list[tuple[str, int, float | None]]
    handoffs_total: int
    handoffs_mean: float | None  # per incident, two decimals
    handoffs_median: float | None
    hand_back_incidents: int
    pingpong_incidents: int
    pingpong_pairs: list[PingPongPair]
    pingpong_list: list[Bounced]
    status_paths: list[PathRow]
    slow_status_paths: list[PathRow]
    group_paths: list[PathRow]
    slow_group_paths: list[PathRow]
    slow_path_minimum: int
    status_flow: list[FlowLink]
    group_flow: list[FlowLink]

    @property
    def pingpong_share(self) -> float | None:
        return share(self.pingpong_incidents, self.incidents)


def analysis_build(*, user, filters: AnalysisFilters, now: datetime | None = None) -> Analysis:
    """The analysis of the incidents registered in the period that match the filters.

    Without `now` it is the live analysis, computed once per cohort.CACHE_SECONDS."""
    check_may_analyse(user)
    if now is None:
        return cached("analysis", filters, lambda: _build(user, filters, timezone.now()))
    return _build(user, filters, now)


def _build(user, filters: AnalysisFilters, now: datetime) -> Analysis:
    acc = _Accumulator()
    for flow in flows_stream(user=user, filters=filters, now=now):
        acc.add(flow)
    return acc.result(filters=filters, now=now)


def line_of(group: str | None) -> int:
    """The support line of a group's code; the service desk (no group) is the first line."""
    row = lookups.find(SupportGroup, "code", group) if group and group != NO_GROUP else None
    return row.line if row is not None else 1


def holder_line(holder: Holder) -> str:
    """The line row a holder's time counts in: "1", "2", "3", or user / vendor / approval."""
    if holder.kind in ("user", "vendor", "approval"):
        return holder.kind
    return str(line_of(holder.group))


def _part(holder_key: str) -> str:
    """Which part of a group's time a holder is: its queue, its work, or pending."""
    kind = holder_key.split(":", 1)[0]
    return kind if kind in ("queue", "work") else "pending"


class _Accumulator:
    """Per-incident totals by key, gathered one incident at a time."""

    def __init__(self):
        self.count = 0
        self.lines: dict[str, str] = {}
        self.spell_keys: dict[tuple, tuple] = {}
        self.values = {name: defaultdict(list) for name in
                       ("status", "group", "line", "holder")}
        self.walls = {name: defaultdict(list) for name in self.values}
        self.clock = {name: Counter() for name in self.values}
        self.group_parts: dict[str, Counter] = defaultdict(Counter)
        self.open_business: list[int] = []
        self.open_wall: list[int] = []
        self.open_clock = 0
        self.handoffs: list[int] = []
        self.hand_backs = 0
        self.bounced: list[IncidentFlow] = []
        self.pairs: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
        self.paths = {"status": defaultdict(list), "group": defaultdict(list)}
        self.finished_paths = {"status": defaultdict(list), "group": defaultdict(list)}
        self.flows = {"status": defaultdict(list), "group": defaultdict(list)}

    def add(self, flow: IncidentFlow) -> None:
        self.count += 1
        self._times(flow)
        self.open_business.append(flow.open_business)
        self.open_wall.append(flow.open_wall)
        self.open_clock += flow.clock_business
        self.handoffs.append(flow.handoffs)
        self.hand_backs += bool(flow.hand_backs)
        self._bounces(flow)
        for kind, path, steps in (("status", flow.status_path, flow.status_steps),
                                  ("group", flow.group_path, flow.group_steps)):
            self.paths[kind][path].append(flow.open_business)
            if flow.finished:
                self.finished_paths[kind][path].append(flow.open_business)
            for i in range(min(len(path) - 1, MAX_FLOW_STEPS - 1)):
                self.flows[kind][(i, path[i], path[i + 1])].append(steps[i].business)

    def _times(self, flow: IncidentFlow) -> None:
        """Each key's total for this incident: one value per incident in the stats."""
        totals: dict[tuple[str, str], list[int]] = {}
        for spell in flow.spells:
            keys, part = self._keys(spell.status, spell.group, spell.holder_key)
            if part is not None:
                self.group_parts[keys[1][1]][part] += spell.business
            business, wall = spell.business, spell.wall
            clock = business if spell.on_clock else 0
            for name_key in keys:
                total = totals.get(name_key)
                if total is None:
                    totals[name_key] = [business, wall, clock]
                else:
                    total[0] += business
                    total[1] += wall
                    total[2] += clock
        for (name, key), (business, wall, clock) in totals.items():
            self.values[name][key].append(business)
            self.walls[name][key].append(wall)
            self.clock[name][key] += clock

    def _keys(self, status: int, group: str | None, holder: str | None):
        """The rows a spell counts in, and its part of the group's time (worked out once)."""
        found = self.spell_keys.get((status, group, holder))
        if found is None:
            keys = [("status", str(status))]
            part = None
            if holder is not None:
                code = group or NO_GROUP
                keys += [("group", code), ("line", self._line(holder, code)),
                         ("holder", holder)]
                part = _part(holder)
            found = self.spell_keys[(status, group, holder)] = (tuple(keys), part)
        return found

    def _line(self, holder_key: str, group: str) -> str:
        """The line row of a holder (groups' lines looked up once per analysis)."""
        if holder_key in ("user", "vendor", "approval"):
            return holder_key
        if group not in self.lines:
            self.lines[group] = str(line_of(group))
        return self.lines[group]

    def _bounces(self, flow: IncidentFlow) -> None:
        bounces = flow.bounces
        if not bounces:
            return
        self.bounced.append(flow)
        seen = set()
        for a, b in bounces:
            pair = tuple(sorted((a, b)))
            self.pairs[pair][1] += 1
            if pair not in seen:
                self.pairs[pair][0] += 1
                seen.add(pair)

    def result(self, *, filters, now) -> Analysis:
        whole = sum(self.open_business)
        rows = {name: self._rows(name, whole) for name in self.values}
        for row in rows["group"]:
            row.parts = dict(self.group_parts[row.key])
        minimum = max(2, math.ceil(self.count * 0.005))
        status_paths, slow_status = self._paths("status", minimum)
        group_paths, slow_group = self._paths("group", minimum)
        self.bounced.sort(key=lambda f: (-len(f.bounces), -f.open_business, f.number))
        return Analysis(
            filters=filters, now=now, incidents=self.count,
            open=TimeRow("open", stats_of(self.open_business), stats_of(self.open_wall),
                         clock=self.open_clock, share=share(whole, whole)),
            statuses=sorted(rows["status"], key=lambda r: int(r.key)),
            groups=sorted(rows["group"], key=lambda r: (-r.business.total, r.key)),
            lines=sorted(rows["line"], key=lambda r: (not r.key.isdigit(), r.key)),
            holders=sorted(rows["holder"], key=lambda r: (-r.business.total, r.key)),
            handoff_buckets=self._buckets(), handoffs_total=sum(self.handoffs),
            handoffs_mean=round(sum(self.handoffs) / self.count, 2) if self.count else None,
            handoffs_median=float(median(self.handoffs)) if self.handoffs else None,
            hand_back_incidents=self.hand_backs, pingpong_incidents=len(self.bounced),
            pingpong_pairs=sorted(
                (PingPongPair(pair, n, b) for pair, (n, b) in self.pairs.items()),
                key=lambda p: (-p.incidents, -p.bounces, p.groups)),
            pingpong_list=[Bounced(f.number, f.group_path, f.bounces, f.open_business)
                           for f in self.bounced[:PINGPONG_LISTED]],
            status_paths=status_paths, slow_status_paths=slow_status,
            group_paths=group_paths, slow_group_paths=slow_group, slow_path_minimum=minimum,
            status_flow=self._flow("status"), group_flow=self._flow("group"))

    def _rows(self, name: str, whole: int) -> list[TimeRow]:
        return [TimeRow(key, stats_of(values), stats_of(self.walls[name][key]),
                        clock=self.clock[name][key],
                        share=share(sum(values), whole) if name != "status" or
                        int(key) in _OPEN else None)
                for key, values in self.values[name].items()]

    def _buckets(self) -> list[tuple[str, int, float | None]]:
        counts = Counter(min(n, 4) for n in self.handoffs)
        return [(label, counts[i], share(counts[i], self.count))
                for i, label in enumerate(HANDOFF_BUCKETS)]

    def _paths(self, kind: str, minimum: int) -> tuple[list[PathRow], list[PathRow]]:
        """The most common paths (every incident), and the slowest among the incidents that
        finished (an open incident's time to resolution is not known yet)."""
        def rows(paths):
            return [PathRow(PATH_SEPARATOR.join(str(s) for s in path), path, stats_of(values),
                            share(len(values), self.count)) for path, values in paths.items()]

        common = sorted(rows(self.paths[kind]),
                        key=lambda r: (-r.business.count, r.business.median or 0, r.key))
        slow = sorted((r for r in rows(self.finished_paths[kind])
                       if r.business.count >= minimum),
                      key=lambda r: (-(r.business.median or 0), -r.business.count, r.key))
        return common[:TOP_PATHS], slow[:TOP_PATHS]

    def _flow(self, kind: str) -> list[FlowLink]:
        return sorted((FlowLink(step, source, target, stats_of(values))
                       for (step, source, target), values in self.flows[kind].items()),
                      key=lambda link: (link.step, -link.business.count, str(link.source),
                                        str(link.target)))


_OPEN = frozenset(int(s) for s in (Status.LOGGED, Status.ASSIGNED, Status.IN_PROGRESS,
                                   Status.PENDING))
