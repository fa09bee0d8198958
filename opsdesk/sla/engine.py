"""The SLA clocks of an incident: pure-ish functions the incident services call.

Each function changes the incident's SLA columns in memory and the caller saves them, except
where a function says it writes history. Policies and calendars come from memory, so a clock
costs no query. The rules:

- Both clocks start at registration on their own calendar; the due dates are columns.
- The response clock stops at the first response (first_response_at, set by the lifecycle
  and by a support person's first public reply).
- Each policy names, per clock, the statuses that stop it (response_pause_statuses and
  resolution_pause_statuses: pending for any reason, resolved); the resolution clock also
  stands still while pending for a reason the policy names (resolution_pause_reasons). The
  defaults keep the response clock running and stop the resolution clock while resolved and
  while awaiting the user or a vendor. When a clock runs again, its due date moves by the
  business time it stood still (counted in <clock>_paused_seconds); a reopen therefore keeps
  the time already elapsed. A first response while the response clock stands still ends the
  pause the same way. (The lifecycle counts a pend and a resolve as a first response, so
  today the response clock is paused only by statuses reached without those actions.)
- A new policy (priority, service or department changed) keeps the business time elapsed on
  each clock and gives the new target's remainder from now on the new calendar.
- The policy's targets, calendars and warning thresholds are snapshotted on the incident when
  its clocks start (`sla_terms`), so editing the policy later moves no running clock. Pause
  statuses and reasons, escalation flags and the auto-close rule are read from the policy as
  it is now (the next status change applies an edit; a clock already standing still resumes
  at its next status change that no longer pauses it).
- The auto-close wait starts at the resolution and again at each reply of the requester.
- The matrix (priority, service, department) chooses the policy, unless an app that knows the
  incident better registered a chooser (`sla_policy_chooser_add`): the catalogue keeps a
  request on its type's own policy, and gives a request awaiting approval no clocks at all.
- sla_next_check_at is the next instant the tick must look: a threshold, a due date or an
  auto-close step. Levels: 0 running, 1 first warning, 2 second warning, 3 breached.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from opsdesk.incidents.choices import ACTIVE_STATUSES, OPEN_STATUSES, Status

from .clock import Calendar, business_add, business_seconds
from .models import SlaPolicy
from .policies import policy_calendars, policy_get, policy_match, policy_pauses
from .selectors import calendar_snapshot

BREACHED = 3
CROSSINGS = {1: "warning_first", 2: "warning_second", 3: "breach"}
# What a policy chooser returns for the incidents it leaves to the matrix.
MATRIX = object()
_choosers: list[Callable] = []


def sla_policy_chooser_add(chooser: Callable) -> None:
    """Let `chooser(incident)` choose the policy of the incidents it knows: it returns the
    policy (None: no clocks) or MATRIX. The first answer other than MATRIX wins.

    Apps above this one (they import the engine, it cannot import them) register theirs in
    their AppConfig.ready(); a chooser runs on every creation and policy re-choice, so it
    answers MATRIX without a query for incidents it cannot concern."""
    if chooser not in _choosers:
        _choosers.append(chooser)


@dataclass(frozen=True)
class Clock:
    """One clock of an incident: which, on what calendar, with what target and due date."""

    name: str  # "response" or "resolution"
    calendar: Calendar
    target: int
    due_at: datetime
    level: int
    warn: tuple[int, int] = (50, 80)  # first and second warning, percent of the target


@dataclass(frozen=True)
class Terms:
    """What the clocks of an incident run to: its snapshot of the policy's targets."""

    response_calendar: Calendar
    response_seconds: int
    resolution_calendar: Calendar
    resolution_seconds: int
    warn: tuple[int, int]


def sla_terms(*, incident) -> Terms | None:
    """The incident's snapshot of its policy's terms (from memory), or None without a policy."""
    if incident.sla_resolution_seconds is None:
        policy = policy_get(code=incident.sla_policy_id)
        return _policy_terms(policy) if policy is not None else None
    return Terms(calendar_snapshot(code=incident.sla_response_calendar_id),
                 incident.sla_response_seconds,
                 calendar_snapshot(code=incident.sla_resolution_calendar_id),
                 incident.sla_resolution_seconds,
                 (incident.sla_warn_first_percent, incident.sla_warn_second_percent))


def _policy_terms(policy: SlaPolicy) -> Terms:
    response_cal, resolution_cal, _auto = policy_calendars(policy=policy)
    return Terms(response_cal, policy.response_seconds, resolution_cal,
                 policy.resolution_seconds, (policy.warn_first_percent, policy.warn_second_percent))


def _snapshot(incident, policy: SlaPolicy | None) -> None:
    """Copy the policy's terms onto the incident (clears them without a policy)."""
    incident.sla_policy = policy
    incident.sla_response_calendar_id = getattr(policy, "response_calendar_id", None)
    incident.sla_response_seconds = getattr(policy, "response_seconds", None)
    incident.sla_resolution_calendar_id = getattr(policy, "resolution_calendar_id", None)
    incident.sla_resolution_seconds = getattr(policy, "resolution_seconds", None)
    incident.sla_warn_first_percent = getattr(policy, "warn_first_percent", None)
    incident.sla_warn_second_percent = getattr(policy, "warn_second_percent", None)


def sla_start(*, incident, now: datetime) -> None:
    """Choose the policy and set both due dates and the first check (before the first save)."""
    policy = _policy_for(incident)
    _snapshot(incident, policy)
    if policy is None:
        incident.response_due_at = incident.resolution_due_at = incident.sla_next_check_at = None
        return
    terms = _policy_terms(policy)
    incident.response_due_at = business_add(terms.response_calendar, now,
                                            terms.response_seconds)
    incident.resolution_due_at = business_add(terms.resolution_calendar, now,
                                              terms.resolution_seconds)
    if policy.notify_manager_at_creation:
        incident.hierarchical_escalation_count += 1
    incident.sla_next_check_at = sla_next_check(incident=incident, now=now)


def sla_policy_apply(*, incident, policy: SlaPolicy | None, now: datetime) -> dict:
    """Put the incident on this policy with both clocks starting afresh at `now`; None stops
    its clocks (no policy, no due dates). Returns the column updates for the caller to save.

    The catalogue uses it: a request type's own policy replaces the matrix's choice at
    creation, and a request awaiting approval has no clocks until it is approved.
    """
    _snapshot(incident, policy)
    incident.response_paused_at = incident.resolution_paused_at = None
    incident.response_paused_seconds = incident.resolution_paused_seconds = 0
    incident.response_sla_level = incident.resolution_sla_level = 0
    if policy is None:
        incident.response_due_at = incident.resolution_due_at = None
    else:
        terms = _policy_terms(policy)
        incident.response_due_at = business_add(terms.response_calendar, now,
                                                terms.response_seconds)
        incident.resolution_due_at = business_add(terms.resolution_calendar, now,
                                                  terms.resolution_seconds)
    incident.sla_next_check_at = sla_next_check(incident=incident, now=now)
    fields = ("sla_policy", "sla_response_calendar_id", "sla_response_seconds",
              "sla_resolution_calendar_id", "sla_resolution_seconds", "sla_warn_first_percent",
              "sla_warn_second_percent", "response_paused_at", "resolution_paused_at",
              "response_paused_seconds", "resolution_paused_seconds", "response_sla_level",
              "resolution_sla_level", "response_due_at", "resolution_due_at",
              "sla_next_check_at")
    return {field: getattr(incident, field) for field in fields}


def sla_after_create(*, incident) -> None:
    """Write the escalation a policy asks for at creation (P1); notify_created mails it."""
    from opsdesk.incidents import events

    policy = policy_get(code=incident.sla_policy_id)
    if policy is not None and policy.notify_manager_at_creation:
        events.event_sla(incident=incident, data={
            "clock": "creation", "crossing": "created", "escalation": "hierarchical",
            "notify": "incident_managers", "priority": incident.priority_id})


def sla_on_transition(*, incident, action: str, old_status: int, new_status: int,
                      now: datetime) -> None:
    """Pause, resume or stop the clocks after a status change (before the save)."""
    policy = policy_get(code=incident.sla_policy_id)
    if policy is None:
        return
    terms = sla_terms(incident=incident)
    for clock, calendar in (("response", terms.response_calendar),
                            ("resolution", terms.resolution_calendar)):
        if clock == "response" and incident.first_response_at is not None:
            if incident.response_paused_at is not None:  # the first response ends the pause
                _resume(incident=incident, clock=clock, calendar=calendar, now=now)
            continue  # the response clock has stopped for good
        stands_still = policy_pauses(policy=policy, clock=clock, status=new_status,
                                     pending_reason_id=incident.pending_reason_id)
        paused_at = getattr(incident, f"{clock}_paused_at")
        if stands_still and paused_at is None:
            setattr(incident, f"{clock}_paused_at", now)
        elif not stands_still and paused_at is not None and new_status in ACTIVE_STATUSES:
            _resume(incident=incident, clock=clock, calendar=calendar, now=now)
    if old_status == Status.RESOLVED:
        incident.auto_close_reminded = False
    if Status.RESOLVED in (old_status, new_status):
        incident.auto_close_wait_from = now if new_status == Status.RESOLVED else None
    incident.sla_next_check_at = sla_next_check(incident=incident, now=now)


def sla_on_first_response(*, incident, at: datetime) -> dict:
    """The column updates when a public reply is the first response (the response clock stops)."""
    incident.first_response_at = at
    updates = {"first_response_at": at}
    if incident.response_paused_at is not None:  # answered while the clock stood still
        terms = sla_terms(incident=incident)
        if terms is not None:
            _resume(incident=incident, clock="response", calendar=terms.response_calendar,
                    now=at)
            updates.update(response_paused_at=None,
                           response_paused_seconds=incident.response_paused_seconds,
                           response_due_at=incident.response_due_at)
    incident.sla_next_check_at = sla_next_check(incident=incident, now=at)
    return {**updates, "sla_next_check_at": incident.sla_next_check_at}


def sla_on_requester_reply(*, incident, at: datetime) -> dict:
    """The column updates when the requester answers a resolved incident: the wait restarts."""
    if incident.status != Status.RESOLVED or policy_get(code=incident.sla_policy_id) is None:
        return {}
    incident.auto_close_wait_from, incident.auto_close_reminded = at, False
    incident.sla_next_check_at = sla_next_check(incident=incident, now=at)
    return {"auto_close_wait_from": at, "auto_close_reminded": False,
            "sla_next_check_at": incident.sla_next_check_at}


def sla_on_priority_change(*, incident, old_priority_id: int | None, now: datetime, by,
                           channel: str) -> None:
    """Re-choose the policy after priority, service or department changed; keep elapsed time.

    Writes one SLA history entry when the policy changes; `lowered_near_breach` says whether
    the priority went down while a running clock had passed the old second warning (80 %).
    """
    from opsdesk.incidents import events

    old, new = policy_get(code=incident.sla_policy_id), _policy_for(incident)
    if incident.status not in OPEN_STATUSES + (Status.RESOLVED,) or old == new:
        return
    near = old is not None and any(
        _elapsed(clock, at) * 100 >= clock.warn[1] * clock.target
        for clock, at in _running_clocks(incident, now))
    lowered = (old_priority_id or 0) < (incident.priority_id or 0)
    before = {"response_due_at": _iso(incident.response_due_at),
              "resolution_due_at": _iso(incident.resolution_due_at)}
    _recompute(incident=incident, old=old, new=new, now=now)
    events.event_sla(incident=incident, by=by, channel=channel, data={
        "clock": "policy", "crossing": "recomputed", "old_policy": getattr(old, "code", None),
        "new_policy": getattr(new, "code", None), "old_priority": old_priority_id,
        "new_priority": incident.priority_id, "lowered_near_breach": bool(lowered and near),
        **{f"old_{k}": v for k, v in before.items()},
        "response_due_at": _iso(incident.response_due_at),
        "resolution_due_at": _iso(incident.resolution_due_at)})


def sla_next_check(*, incident, now: datetime) -> datetime | None:
    """The next instant the tick must look at the incident, or None when nothing runs."""
    policy = policy_get(code=incident.sla_policy_id)
    if policy is None or incident.status not in OPEN_STATUSES + (Status.RESOLVED,):
        return None
    instants = [_next_instant(clock, at) for clock, at in _running_clocks(incident, now)]
    if incident.status == Status.RESOLVED:
        instants.append(auto_close_times(incident=incident, policy=policy)[
            1 if incident.auto_close_reminded else 0])
    instants = [instant for instant in instants if instant is not None]
    return max(min(instants), now + timedelta(seconds=1)) if instants else None


def sla_clocks(*, incident, now: datetime) -> list[tuple[Clock, datetime]]:
    """The clocks of the incident that have a due date, each with the instant it reads at.

    A running clock reads at now; the resolution clock standing still reads at its pause.
    """
    return _running_clocks(incident, now, include_paused=True)


def clock_level(*, clock: Clock, at: datetime) -> int:
    """The level the clock has reached at this instant (0 to 3), on its own thresholds."""
    elapsed = _elapsed(clock, at)
    if elapsed >= clock.target:
        return BREACHED
    percent = elapsed * 100
    return 2 if percent >= clock.warn[1] * clock.target else (
        1 if percent >= clock.warn[0] * clock.target else 0)


def clock_remaining(*, clock: Clock, at: datetime) -> int:
    """Business seconds left until the due date; negative once overdue. Never more than the
    target: a server clock set back to before the incident was logged reads as no time used,
    not as less than none."""
    return min(clock.target - _elapsed(clock, at), clock.target)


def auto_close_times(*, incident, policy: SlaPolicy) -> tuple[datetime | None, datetime | None]:
    """(reminder, close): one working day before, and N working days after the wait started
    (the resolution, or the requester's last reply since)."""
    days, start = policy.auto_close_working_days, incident.auto_close_wait_from or \
        incident.resolved_at
    if not days or start is None:
        return None, None
    calendar = policy_calendars(policy=policy)[2]
    workday = calendar.workday_seconds
    return (business_add(calendar, start, (days - 1) * workday),
            business_add(calendar, start, days * workday))


# --- Internals -----------------------------------------------------------------------------


def _policy_for(incident) -> SlaPolicy | None:
    for chooser in _choosers:
        choice = chooser(incident)
        if choice is not MATRIX:
            return choice
    return policy_match(priority_id=incident.priority_id, service_id=incident.service_id,
                        department_id=incident.requester_department_id)


def _running_clocks(incident, now, include_paused=False):
    """(clock, reading instant) for the response clock while open until the first response, and
    the resolution clock while open or resolved; a clock standing still only with
    include_paused, read at its pause."""
    terms, result = sla_terms(incident=incident), []
    if terms is None:
        return result
    is_open = incident.status in OPEN_STATUSES
    response_paused = incident.response_paused_at
    if is_open and incident.first_response_at is None and incident.response_due_at \
            and (response_paused is None or include_paused):
        result.append((Clock("response", terms.response_calendar, terms.response_seconds,
                             incident.response_due_at, incident.response_sla_level,
                             terms.warn), response_paused or now))
    paused = incident.resolution_paused_at
    if incident.resolution_due_at and incident.status in ACTIVE_STATUSES \
            and (paused is None or include_paused):
        result.append((Clock("resolution", terms.resolution_calendar, terms.resolution_seconds,
                             incident.resolution_due_at, incident.resolution_sla_level,
                             terms.warn), paused or now))
    return result


def _elapsed(clock: Clock, at: datetime) -> int:
    """Business seconds elapsed at `at`: more than the target once the due date has passed."""
    if at < clock.due_at:
        return clock.target - business_seconds(clock.calendar, at, clock.due_at)
    return clock.target + business_seconds(clock.calendar, clock.due_at, at)


def _next_instant(clock: Clock, at: datetime) -> datetime | None:
    """When the clock reaches the level after the one it has recorded."""
    if clock.level >= BREACHED:
        return None
    if clock.level == 2:
        return clock.due_at
    percent = clock.warn[clock.level]
    goal = -(-clock.target * percent // 100)  # the first whole second at or past the percent
    return business_add(clock.calendar, at, max(goal - _elapsed(clock, at), 0))


def _resume(*, incident, clock: str, calendar: Calendar, now: datetime) -> None:
    """The clock runs again: its due date moves by the business time it stood still."""
    paused_at, due = getattr(incident, f"{clock}_paused_at"), getattr(incident, f"{clock}_due_at")
    setattr(incident, f"{clock}_paused_seconds", getattr(incident, f"{clock}_paused_seconds")
            + business_seconds(calendar, paused_at, now))
    if due is not None and paused_at < due:
        setattr(incident, f"{clock}_due_at", business_add(
            calendar, now, business_seconds(calendar, paused_at, due)))
    setattr(incident, f"{clock}_paused_at", None)


def _recompute(*, incident, old: SlaPolicy | None, new: SlaPolicy | None, now) -> None:
    """New due dates from the new policy, keeping each clock's elapsed business time."""
    elapsed = {clock.name: (_elapsed(clock, at), at)
               for clock, at in (_running_clocks(incident, now, include_paused=True)
                                 if old else [])}
    _snapshot(incident, new)
    if new is None:
        incident.response_due_at = incident.resolution_due_at = None
        incident.sla_next_check_at = None
        return
    terms = _policy_terms(new)
    for name, target, calendar in (
            ("response", terms.response_seconds, terms.response_calendar),
            ("resolution", terms.resolution_seconds, terms.resolution_calendar)):
        if name == "response" and incident.first_response_at is not None:
            continue
        spent, at = elapsed.get(name, (business_seconds(
            calendar, incident.registered_at, now), now))
        due = business_add(calendar, at, target - spent) if spent < target else at
        setattr(incident, f"{name}_due_at", due)
        clock = Clock(name, calendar, target, due, 0, terms.warn)
        setattr(incident, f"{name}_sla_level", min(getattr(incident, f"{name}_sla_level"),
                                                   clock_level(clock=clock, at=at)))
    incident.sla_next_check_at = sla_next_check(incident=incident, now=now)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
