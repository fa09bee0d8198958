"""The cadence tick: remind the major-incident manager when an update is due, count misses."""

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django_tasks import task

from . import notify
from .models import MajorIncident, MajorState


def cadence_tick(*, now=None) -> int:
    """Remind once per due time for every declared major whose update is due; return how many.

    Idempotent with several workers: each reminder is claimed by a conditional UPDATE of
    `reminded_due_at` (from "not yet for this due time" to this due time), so only one worker
    sends it, and the miss is counted once.
    """
    now = now or timezone.now()
    due = (MajorIncident.objects.filter(state=MajorState.DECLARED, next_update_due_at__lte=now)
           .filter(Q(reminded_due_at__isnull=True) | Q(reminded_due_at__lt=F("next_update_due_at")))
           .values_list("pk", "next_update_due_at"))
    sent = 0
    for pk, due_at in list(due[:500]):
        with transaction.atomic():
            claimed = (MajorIncident.objects.filter(pk=pk, state=MajorState.DECLARED,
                                                    next_update_due_at=due_at)
                       .filter(Q(reminded_due_at__isnull=True) | Q(reminded_due_at__lt=due_at))
                       .update(reminded_due_at=due_at, missed_count=F("missed_count") + 1))
            if claimed:
                major = MajorIncident.objects.select_related("incident", "manager").get(pk=pk)
                notify.notify_update_due(major=major)
                sent += 1
    return sent


@task()
def major_cadence_tick() -> int:
    """The periodic entry point (core/periodic.py enqueues it every 30 s)."""
    return cadence_tick()
