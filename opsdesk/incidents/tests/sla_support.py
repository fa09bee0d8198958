"""Shared pieces of the SLA tests: Shanghai wall-clock times and incidents at a priority."""

from datetime import datetime
from zoneinfo import ZoneInfo

import time_machine

from opsdesk.core.testing.factories import incident_factory
from opsdesk.incidents.services import incident_transition
from opsdesk.reference.models import PendingReason, Priority, ResolutionCode

SHANGHAI = ZoneInfo("Asia/Shanghai")
HOUR = 3600


def sh(*args) -> datetime:
    """A wall-clock instant in Shanghai."""
    return datetime(*args, tzinfo=SHANGHAI)


def at(moment: datetime):
    """Travel to this instant and stand still there."""
    return time_machine.travel(moment, tick=False)


def logged(org, *, priority: int = 3, when: datetime, **data):
    """An incident the desk logs for the requester at `when`, with this priority."""
    if priority != 3:
        data.update(priority=Priority.objects.get(pk=priority),
                    priority_override_reason="Test priority")
    with at(when):
        return incident_factory(by=org.desk, requester=org.requester, **data)


def act(incident, action: str, org, when: datetime, **params):
    """Take an action as the incident manager at `when`."""
    with at(when):
        return incident_transition(incident=incident, action=action, by=org.manager, **params)


def pend(incident, org, when: datetime, reason: str = "01"):
    return act(incident, "pend", org, when, pending_reason=PendingReason.objects.get(pk=reason))


def resolve(incident, org, when: datetime):
    return act(incident, "resolve", org, when, resolution="Fixed",
               resolution_code=ResolutionCode.objects.get(pk="01"))
