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
- Who held the incident (`Spell.holder_key`): the service desk while it was logged and
  nobody's (desk), a group's queue while assigned and not yet accepted (queue:NET), a group's
  work while in progress (work:NET; work:- at the service desk), the user or the vendor while
  pending on them (user, vendor), the approver while a request waited for approval (approval),
  and a group while pending for any other reason (pending:03:NET for awaiting a change).

Built for volume: the analysis runs this for every incident of a period, so entries are plain
tuples, spells carry their holder's key, and the steps are summed while the spells are made.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from opsdesk.incidents.choices import OPEN_STATUSES, Action, EventKind, Status
from opsdesk.sla.clock import Calendar, business_seconds

# Pending reasons with holders of their own (reference defaults: 01 user, 02 vendor, 06 approval).
AWAITING_USER, AWAITING_VENDOR, AWAITING_APPROVAL = "01", "02", "06"
# The group path's mark for "no group": logged at the service desk, or handed back to it.
NO_GROUP = "-"
FINAL = frozenset((Status.CLOSED, Status.CANCELLED))
_OPEN = frozenset(int(s) for s in OPEN_STATUSES)
_CREATED, _TRANSITION, _ASSIGNMENT = (str(EventKind.CREATED), str(EventKind.TRANSITION),
                                      str(EventKind.ASSIGNMENT))
_HAND_BACK, _PENDS = str(Action.HAND_BACK), frozenset((str(Action.PEND),
                                                        str(Action.AWAIT_APPROVAL)))
_WAITING_ON = {AWAITING_USER: "user", AWAITING_VENDOR: "vendor", AWAITING_APPROVAL: "approval"}

# One history entry: (kind, at, action, to_status, to_group, pending_reason); the last two come
# from the entry's data (an assignment's "to_group", a pend's "pending_reason").
Entry = tuple


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


def holder_from_key(key: str) -> Holder:
    """The holder a key names (the inverse of Holder.key)."""
    parts = key.split(":")
    group = None if len(parts) < 2 or parts[-1] == NO_GROUP else parts[-1]
    if parts[0] == "pending" and len(parts) == 3:
        return Holder("pending", group, parts[1])
    if parts[0] in ("queue", "work"):
        return Holder(parts[0], group)
    return Holder(parts[0])


@lru_cache(maxsize=4096)
def holder_key(status: int, group: str | None, reason: str | None) -> str | None:
    """Who held an incident in this status, group and pending reason (None once resolved)."""
    if status not in _OPEN:
        return None
    if status == Status.PENDING:
        if reason in _WAITING_ON:
            return _WAITING_ON[reason]
        return Holder("pending", group, reason).key
    if status == Status.IN_PROGRESS:
        return Holder("work", group).key
    return Holder("queue", group).key if group else "desk"


@dataclass(slots=True)
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
    is_open: bool  # logged, assigned, in progress or pending
    holder_key: str | None  # who held it (None once resolved)

    @property
    def holder(self) -> Holder | None:
        return holder_from_key(self.holder_key) if self.holder_key else None


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


@dataclass(slots=True)
class Step:
    """Consecutive spells with the same status (a status step) or group (a group step)."""

    key: int | str  # the status, or the group's code (NO_GROUP: the service desk)
    wall: int
    business: int  # a group step counts open time only


@dataclass(slots=True)
class IncidentFlow:
    """An incident's timeline and what follows from it: paths, hand-offs, bounces, times."""

    facts: Facts
    spells: list[Spell]
    status_steps: list[Step]
    group_steps: list[Step]
    final_status: int | None  # closed or cancelled; None while active
    hand_backs: int
    open_wall: int  # the time to resolution: open time until resolved, cancelled or now
    open_business: int
    clock_business: int  # business time on the resolution clock (open and not paused)

    @property
    def number(self) -> str:
        return self.facts.number

    @property
    def finished(self) -> bool:
        """Resolved, closed or cancelled: its time to resolution is complete."""
        return self.final_status is not None or bool(
            self.status_steps and self.status_steps[-1].key == Status.RESOLVED)

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
    flow = IncidentFlow(facts=facts, spells=[], status_steps=[], group_steps=[],
                        final_status=None, hand_backs=0, open_wall=0, open_business=0,
                        clock_business=0)
    status = group = reason = None
    since = facts.registered_at
    for kind, at, action, to_status, to_group, pending_reason in entries:
        new_status, new_group, new_reason = status, group, reason
        if kind == _ASSIGNMENT:
            new_group = to_group or None
        elif kind == _CREATED:
            new_status = to_status or Status.LOGGED
        elif kind == _TRANSITION and to_status is not None:
            new_status = to_status
            if action == _HAND_BACK:
                new_group = None
                flow.hand_backs += 1
            elif action in _PENDS:
                new_reason = pending_reason
        if new_status != Status.PENDING:
            new_reason = None
        if new_status != status or new_group != group or new_reason != reason:
            if status is not None:
                _add_spell(flow, status, group, reason, since, at)
            status, group, reason = new_status, new_group, new_reason
            since = max(at, since)
        if status in FINAL:
            flow.final_status = status
            return flow
    if status is not None:
        _add_spell(flow, status, group, reason, since, max(now, since))
    return flow


def _add_spell(flow: IncidentFlow, status, group, reason, start, end) -> None:
    facts = flow.facts
    wall = max(0, int((end - start).total_seconds()))
    calendar = facts.calendar
    business = business_seconds(calendar, start, end) if calendar and \
        not calendar.is_24x7 else wall
    is_open = status in _OPEN
    on_clock = (is_open and facts.pause is not None and reason != AWAITING_APPROVAL
                and not facts.pause(status, reason))
    flow.spells.append(Spell(start, end, status, group, reason, wall, business, on_clock,
                             is_open, holder_key(status, group, reason)))
    if is_open:
        flow.open_wall += wall
        flow.open_business += business
        if on_clock:
            flow.clock_business += business
    _extend(flow.status_steps, status, wall, business)
    _extend(flow.group_steps, group or NO_GROUP, wall if is_open else 0,
            business if is_open else 0)


def _extend(steps: list[Step], key, wall: int, business: int) -> None:
    if steps and steps[-1].key == key:
        steps[-1].wall += wall
        steps[-1].business += business
    else:
        steps.append(Step(key, wall, business))
