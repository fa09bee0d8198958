"""The cadence tick: one reminder per due time, the miss counted and visible."""

from datetime import timedelta

import time_machine
from django.utils import timezone

from opsdesk.major.models import MajorIncident
from opsdesk.major.selectors import update_is_missed
from opsdesk.major.services import major_update_post
from opsdesk.major.tasks import cadence_tick
from opsdesk.notifications.models import Delivery

from .helpers import declared


def _reminders(major):
    return Delivery.objects.filter(idempotency_key__startswith=f"major:{major.pk}:due").count()


def test_reminder_once_per_due_time_and_missed_flag(org):
    major = declared(org, cadence_minutes=30)
    assert cadence_tick() == 0 and not update_is_missed(major)
    later = timezone.now() + timedelta(minutes=31)
    with time_machine.travel(later, tick=False):
        assert cadence_tick() == 1
        assert cadence_tick() == 0  # the same due time: nothing more
        major.refresh_from_db()
        assert update_is_missed(major) and major.missed_count == 1
        assert _reminders(major) == 1
        major_update_post(major=major, by=org.manager, text="Still on it")
        major.refresh_from_db()
        assert not update_is_missed(major)
    with time_machine.travel(later + timedelta(minutes=31), tick=False):
        assert cadence_tick() == 1  # the next due time gets its own reminder
        assert _reminders(major) == 2
        assert MajorIncident.objects.get(pk=major.pk).missed_count == 2


def test_resolved_major_gets_no_reminder(org):
    from opsdesk.incidents.services import incident_transition

    from .helpers import resolve_params

    major = declared(org, cadence_minutes=30)
    incident_transition(incident=major.incident, action="resolve", by=org.manager,
                        **resolve_params())
    with time_machine.travel(timezone.now() + timedelta(hours=2), tick=False):
        assert cadence_tick() == 0
