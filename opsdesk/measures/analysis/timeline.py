"""One incident's history as a timeline: spells of one status with one group, each measured.

Pure functions, no database: `flow_build` takes the incident's facts and its history entries
(created, transition and assignment entries, in time order) and returns an `IncidentFlow`.

- A spell starts at each entry that changes the status, the assignment group or the pending
  reason, and ends at the next one. The last spell of a closed or cancelled incident ends when
  it was closed or cancelled; the last spell of an active one runs until `now`.
- Wall time is seconds on the clock. Business time is seconds on the incident's resolution
  calendar (its SLA snapshot, else its policy's); without a calendar every second counts, as
  on a 7×24 calendar (the vendors app measures contracts without a calendar the same way).
- The resolution clock runs in an open status (logged, assigned, in progress, pending) unless
  the incident's SLA policy pauses it there (pending for a reason the policy names); an
  incident without a policy has no clock; a request awaiting approval has no clock yet.
- Who held the incident (`Spell.holder`): the service desk while it was logged and nobody's,
  a group's queue while assigned and not yet accepted, a group's work while in progress, the
  user or the vendor while pending on them, the approver while a request waited for approval,
  and a group while pending for any other reason (a change, parts, a maintenance window).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from opsdesk.incidents.choices import OPEN_STATUSES, Action, EventKind, Status
from opsdesk.sla.clock import Calendar, business_seconds

# Pending reasons with holders of their own (reference defaults: 01 user, 02 vendor, 06 approval).
AWAITING_USER, AWAITING_VENDOR, AWAITING_APPROVAL = "01", "02", "06"
# The group path's mark for "no group": logged at the service desk, or handed back to it.
NO_GROUP = "-"
FINAL = (Status.CLOSED, Status.CANCELLED)


@dataclass(frozen=True)
class Holder:
    """Who held an open incident: kind and, for groups and other pending reasons, which."""

    kind: str  # desk | queue | work | user | vendor | approval | pending
    group: str | None = None  # the group's code (queue, work, pending); None: the service desk
    reason: str | None = None  # the pending reason's code (pending)

    @property
    def key(self) -> str:
        """A stable text key for links and the API: desk, queue:NET, work:-, pending:03:NET …"""
        if self.kind in ("desk", "user", "vendor", "approval"):
            return self.kind
        if self.kind == "pending":
            return f"pending:{self.reason}:{self.group or NO_GROUP}"
        return f"{self.kind}:{self.group or NO_GROUP}"


@dataclass(frozen=True)
class Spell:
    """A stretch of time with one status, group and pending reason."""

    start: datetime
    end: datetime
    status: int
    group: str | None
    pending_reason: str | None
    wall: int  # seconds
    business: int  # business seconds on the incident's calendar
    on_clock: bool  # the resolution clock ran

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def holder(self) -> Holder | None:
        """Who held the incident during this spell (None once resolved)."""
        if not self.is_open:
            return None
        if self.status == Status.PENDING:
            if self.pending_reason == AWAITING_USER:
                return Holder("user")
            if self.pending_reason == AWAITING_VENDOR:
                return Holder("vendor")
            if self.pending_reason == AWAITING_APPROVAL:
                return Holder("approval")
            return Holder("pending", self.group, self.pending_reason)
        if self.status == Status.ASSIGNED and self.group:
            return Holder("queue", self.group)
        if self.status == Status.IN_PROGRESS:
            return Holder("work", self.group)
        return Holder("desk") if not self.group else Holder("queue", self.group)


@dataclass(frozen=True)
class Facts:
    """What the timeline needs of the incident itself (one row of the cohort query)."""

    id: int
    number: str
    priority: int | None
    status: int
    registered_at: datetime
    calendar: Calendar | None = None  # business time; None counts every second
    pause: object = None  # pause(status, pending_reason) -> bool; None: no resolution clock


@dataclass(frozen=True)
class Entry:
    """One history entry the timeline reads (created, transition or assignment)."""

    kind: str
    at: datetime
    action: str = ""
    to_status: int | None = None
    data: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Step:
    """Consecutive spells with the same status (a status step) or group (a group step)."""

    key: int | str  # the status, or the group's code (NO_GROUP: the service desk)
    wall: int
    business: int  # a group step counts open time only


@dataclass
class IncidentFlow:
    """An incident's timeline and what follows from it: paths, hand-offs, bounces, times."""

    facts: Facts
    spells: list[Spell]
    status_steps: list[Step]
    group_steps: list[Step]
    final_status: int | None  # closed or cancelled; None while active
    hand_backs: int

    @property
    def number(self) -> str:
        return self.facts.number

    @property
    def status_path(self) -> tuple[int, ...]:
        """The statuses it went through, in order, ending with closed or cancelled if it did."""
        path = tuple(step.key for step in self.status_steps)
        return path + (self.final_status,) if self.final_status else path

    @property
    def group_path(self) -> tuple[str, ...]:
        """The groups that held it, in order (NO_GROUP: the service desk, before the first
        assignment or after a hand-back)."""
        return tuple(step.key for step in self.group_steps)

    @property
    def handoffs(self) -> int:
        """Times it changed hands: desk → group, group → group, and hand-backs to the desk."""
        return max(0, len(self.group_steps) - 1)

    @property
    def bounces(self) -> list[tuple[str, str]]:
        """Each A → B → A between groups, as (A, B), in order (hand-backs left out)."""
        return bounces_of(self.group_path)

    @property
    def open_wall(self) -> int:
        return sum(s.wall for s in self.spells if s.is_open)

    @property
    def open_business(self) -> int:
        """Business time until resolved (or cancelled, or now): the time to resolution."""
        return sum(s.business for s in self.spells if s.is_open)

    @property
    def clock_business(self) -> int:
        """Business time on the resolution clock (open and not paused)."""
        return sum(s.business for s in self.spells if s.on_clock)


def bounces_of(group_path: Iterable[str]) -> list[tuple[str, str]]:
    """A → B → A patterns in the sequence of groups, the service desk's spells left out."""
    groups: list[str] = []
    for code in group_path:
        if code != NO_GROUP and (not groups or groups[-1] != code):
            groups.append(code)
    return [(groups[i], groups[i + 1]) for i in range(len(groups) - 2)
            if groups[i] == groups[i + 2]]


def flow_build(facts: Facts, entries: Iterable[Entry], *, now: datetime) -> IncidentFlow:
    """The incident's timeline from its entries (in time order) up to its end, or `now`."""
    state = _State(status=None, group=None, reason=None, since=facts.registered_at)
    spells: list[Spell] = []
    hand_backs, final = 0, None
    for entry in entries:
        status, group, reason = _after(state, entry)
        if entry.kind == EventKind.TRANSITION and entry.action == Action.HAND_BACK:
            hand_backs += 1
        if (status, group, reason) != (state.status, state.group, state.reason):
            if state.status is not None:
                spells.append(_spell(facts, state, entry.at))
            state = _State(status, group, reason, max(entry.at, state.since))
        if status in FINAL:
            final = status
            break
    if final is None and state.status is not None:
        spells.append(_spell(facts, state, max(now, state.since)))
    return IncidentFlow(
        facts=facts, spells=spells, final_status=final, hand_backs=hand_backs,
        status_steps=_steps(spells, lambda s: s.status, open_only=False),
        group_steps=_steps(spells, lambda s: s.group or NO_GROUP, open_only=True))


def _steps(spells: list[Spell], key, *, open_only: bool) -> list[Step]:
    steps: list[Step] = []
    for spell in spells:
        counted = spell.is_open or not open_only
        wall, business = (spell.wall, spell.business) if counted else (0, 0)
        if steps and steps[-1].key == key(spell):
            last = steps[-1]
            steps[-1] = Step(last.key, last.wall + wall, last.business + business)
        else:
            steps.append(Step(key(spell), wall, business))
    return steps


@dataclass(frozen=True)
class _State:
    status: int | None
    group: str | None
    reason: str | None
    since: datetime


def _after(state: _State, entry: Entry) -> tuple[int | None, str | None, str | None]:
    """(status, group, pending reason) once the entry is applied."""
    status, group, reason = state.status, state.group, state.reason
    if entry.kind == EventKind.CREATED:
        status = entry.to_status or Status.LOGGED
    elif entry.kind == EventKind.ASSIGNMENT:
        group = entry.data.get("to_group") or None
    elif entry.kind == EventKind.TRANSITION and entry.to_status is not None:
        status = entry.to_status
        if entry.action == Action.HAND_BACK:
            group = None
        if entry.action in (Action.PEND, Action.AWAIT_APPROVAL):
            reason = entry.data.get("pending_reason")
    if status != Status.PENDING:
        reason = None
    return status, group, reason


def _spell(facts: Facts, state: _State, end: datetime) -> Spell:
    start = state.since
    wall = max(0, int((end - start).total_seconds()))
    business = business_seconds(facts.calendar, start, end) if facts.calendar else wall
    on_clock = (state.status in OPEN_STATUSES and facts.pause is not None
                and state.reason != AWAITING_APPROVAL
                and not facts.pause(state.status, state.reason))
    return Spell(start=start, end=end, status=state.status, group=state.group,
                 pending_reason=state.reason, wall=wall, business=business, on_clock=on_clock)
