"""The SLA tick: record warnings, breaches, escalations and auto-close steps that fell due.

Each crossing is mailed as it is recorded (incidents/notify.py, keyed by its history entry); a
resolution breach also goes up to the head of the requester's department, and to the incident's
vendor when the policy says so (escalation.py).

Idempotent and safe with several workers on several machines:

- Rows are claimed in small batches with SELECT … FOR UPDATE SKIP LOCKED (PostgreSQL,
  MySQL/MariaDB), so two workers take different incidents. SQLite has one writer and opsdesk
  opens its transactions IMMEDIATE, so two workers there simply take turns.
- Every crossing is a conditional UPDATE (`… WHERE resolution_sla_level < 2`); only the
  worker whose UPDATE changed the row writes the history entry and escalates. So even two
  workers that read the same row (SQLite, or a lock given up) record each crossing once.
- The incident is found through the partial index on sla_next_check_at, so the tick reads only
  the incidents that have something due, however many are open.
"""

from collections import Counter
from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from opsdesk.core.exceptions import Conflict, InvalidInput
from opsdesk.incidents import events
from opsdesk.incidents.choices import ACTIVE_STATUSES, OPEN_STATUSES, Channel, Status
from opsdesk.incidents.models import Incident
from opsdesk.incidents.notify import notify_auto_close_reminder, notify_sla

from .engine import (BREACHED, CROSSINGS, auto_close_times, clock_level, sla_clocks,
                     sla_next_check)
from .policies import policy_get

CLOSURE_AUTO_CLOSED = "09"
BATCH_SIZE = 200


def sla_tick_run(*, now: datetime | None = None, batch_size: int = BATCH_SIZE,
                 max_batches: int = 50) -> Counter:
    """Check every incident whose next SLA check is due; return what was recorded, by kind."""
    now = now or timezone.now()
    recorded: Counter = Counter()
    for _batch in range(max_batches):
        with transaction.atomic():
            claimed = list(_claim(now=now, limit=batch_size))
            for incident in claimed:
                _check(incident=incident, now=now, recorded=recorded)
        recorded["checked"] += len(claimed)
        if len(claimed) < batch_size:
            break
    return recorded


def _claim(*, now: datetime, limit: int):
    """The due incidents, locked; rows another worker holds are skipped, not waited for."""
    # No join here, so no `of=`: MySQL/MariaDB do not support FOR UPDATE OF.
    return (Incident.objects.select_for_update(skip_locked=True)
            .filter(status__in=ACTIVE_STATUSES, sla_next_check_at__lte=now)
            .order_by("sla_next_check_at")[:limit])


def _check(*, incident: Incident, now: datetime, recorded: Counter) -> None:
    """Record the crossings of one claimed incident, then set its next check."""
    policy = policy_get(code=incident.sla_policy_id)
    if policy is not None:
        for clock, at in sla_clocks(incident=incident, now=now):
            reached = clock_level(clock=clock, at=at)
            for level in range(clock.level + 1, reached + 1):
                incident = _cross(incident=incident, policy=policy, clock=clock.name,
                                  level=level, recorded=recorded)
        if incident.status == Status.RESOLVED:
            incident = _auto_close(incident=incident, policy=policy, now=now, recorded=recorded)
    Incident.objects.filter(pk=incident.pk).update(
        sla_next_check_at=sla_next_check(incident=incident, now=now))


def _cross(*, incident: Incident, policy, clock: str, level: int, recorded: Counter) -> Incident:
    """Record one crossing if no other worker did; escalate as the policy says."""
    updates = {f"{clock}_sla_level": level}
    if level == BREACHED:
        updates[f"{clock}_breached"] = True
    notify = level == 2 and policy.notify_managers_at_second_warning
    if notify:
        updates["hierarchical_escalation_count"] = F("hierarchical_escalation_count") + 1
    won = Incident.objects.filter(pk=incident.pk, **{f"{clock}_sla_level__lt": level}) \
        .update(**updates)
    if not won:
        return incident
    setattr(incident, f"{clock}_sla_level", level)
    data = {"clock": clock, "crossing": CROSSINGS[level], "level": level,
            "policy": policy.code, "due_at": getattr(incident, f"{clock}_due_at").isoformat()}
    if level < BREACHED:  # the threshold crossed, for the history's sentence
        data["percent"] = getattr(incident, ("sla_warn_first_percent",
                                             "sla_warn_second_percent")[level - 1])
    if notify:
        data.update(escalation="hierarchical", notify="incident_managers")
    event = events.event_sla(incident=incident, data=data)
    notify_sla(incident=incident, clock=clock, level=level, event=event, escalate=notify)
    recorded[f"{clock}_{CROSSINGS[level]}"] += 1
    if level == BREACHED and clock == "resolution":
        from .escalation import escalation_to_head, escalation_to_vendor  # import services

        if escalation_to_head(incident=incident, trigger="breach"):
            recorded["head_escalation"] += 1
        if policy.escalate_to_vendor_on_breach and escalation_to_vendor(incident=incident):
            recorded["vendor_escalation"] += 1
        if policy.escalate_on_breach:
            incident = _escalate(incident=incident, recorded=recorded)
    return incident


def _escalate(*, incident: Incident, recorded: Counter) -> Incident:
    """Functional escalation: reassign to the current group's escalation group, as the system."""
    from opsdesk.incidents.services import incident_transition

    group = incident.assignment_group
    target = group.escalation_group if group is not None else None
    if target is None or not target.is_active or incident.status not in OPEN_STATUSES:
        return incident
    try:
        incident = incident_transition(
            incident=incident, action="assign", by=None, channel=Channel.SYSTEM,
            assignment_group=target, reason=_("Resolution SLA breached: functional escalation"))
    except (Conflict, InvalidInput):
        return incident
    recorded["functional_escalation"] += 1
    return incident


def _auto_close(*, incident: Incident, policy, now: datetime, recorded: Counter) -> Incident:
    """Remind one working day before, and close with code 09 after N working days."""
    remind_at, close_at = auto_close_times(incident=incident, policy=policy)
    if remind_at is None:
        return incident
    if now >= remind_at and Incident.objects.filter(
            pk=incident.pk, auto_close_reminded=False).update(auto_close_reminded=True):
        incident.auto_close_reminded = True
        event = events.event_sla(incident=incident, internal=False, data={
            "clock": "auto_close", "crossing": "reminder", "close_at": close_at.isoformat(),
            "days": policy.auto_close_working_days})
        notify_auto_close_reminder(incident=incident, event=event, close_at=close_at)
        recorded["auto_close_reminder"] += 1
    if now >= close_at:
        return _close(incident=incident, policy=policy, recorded=recorded)
    return incident


def _close(*, incident: Incident, policy, recorded: Counter) -> Incident:
    from opsdesk.incidents.services import incident_transition
    from opsdesk.reference.models import ClosureCode

    try:
        incident = incident_transition(
            incident=incident, action="close", by=None, channel=Channel.SYSTEM,
            closure_code=ClosureCode.objects.get(pk=CLOSURE_AUTO_CLOSED),
            reason=_("No answer from the user for %(days)d working days.") % {
                "days": policy.auto_close_working_days})
    except Conflict:  # another worker closed it, or someone answered meanwhile
        return incident
    events.event_sla(incident=incident, internal=False, data={
        "clock": "auto_close", "crossing": "closed", "days": policy.auto_close_working_days})
    recorded["auto_closed"] += 1
    return incident
