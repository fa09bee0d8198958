"""What the queues and the incident page show of an incident's SLA: read from memory only."""

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from opsdesk.incidents.choices import OPEN_STATUSES

from .engine import BREACHED, clock_level, clock_remaining, sla_clocks
from .policies import policy_get


@dataclass(frozen=True)
class SlaState:
    """The clock that matters now, its colour and the business time it has left."""

    clock: str  # "response" until the first response, then "resolution"
    colour: str  # "ok", "warning", "breached" or "paused"
    remaining_seconds: int  # negative once overdue
    due_at: datetime


def sla_state(*, incident, now: datetime | None = None) -> SlaState | None:
    """The SLA state of an open incident, or None; no query (policies and calendars in memory)."""
    policy = policy_get(code=incident.sla_policy_id)
    if policy is None or incident.status not in OPEN_STATUSES:
        return None
    clocks = sla_clocks(incident=incident, now=now or timezone.now())
    if not clocks:
        return None
    clock, at = clocks[0]
    level = max(clock.level, clock_level(clock=clock, at=at))
    paused = getattr(incident, f"{clock.name}_paused_at") is not None
    colour = ("breached" if level >= BREACHED else "paused" if paused
              else "warning" if level else "ok")
    return SlaState(clock.name, colour, clock_remaining(clock=clock, at=at), clock.due_at)


def duration_text(seconds: int) -> str:
    """Business time as '2 h 05 min' (or '45 min') in the active language; the sign is the
    caller's."""
    hours, minutes = divmod(abs(seconds) // 60, 60)
    if hours:
        return _("%(hours)d h %(minutes)02d min") % {"hours": hours, "minutes": minutes}
    return _("%(minutes)d min") % {"minutes": minutes}
