"""Fault: the background worker is killed (SIGKILL) again and again during an escalation run.

Real `manage.py db_worker` subprocesses (two at a time, as with two machines) run the SLA tick
and the notification passes against the test database; a real SMTP server (aiosmtpd) receives
the mail. The test enqueues the tick and the sending pass every second, as the periodic loop
does (core/periodic.py), and kills one of the workers at random moments, starting a new one
each time. What must hold afterwards: every SLA crossing and escalation of every incident is
recorded once, and every notification reaches its recipient as one message (one Message-ID).

The sending lease (notifications/sending.py) gives a killed worker's messages back after 10
minutes; the test does not sleep that long: after the kills it runs one sending pass in this
process with the clock 11 minutes on (time_machine), which is what the periodic pass does then.

Runs on every database: a worker can be killed whatever the database.
"""

import random
import re
import time
from collections import Counter, defaultdict
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from opsdesk.incidents.choices import EventKind
from opsdesk.incidents.models import Incident, IncidentEvent
from opsdesk.incidents.services import incident_create
from opsdesk.notifications.choices import DeliveryStatus
from opsdesk.notifications.models import Delivery
from opsdesk.notifications.sending import LEASE, deliveries_send_due
from opsdesk.notifications.tasks import deliveries_send
from opsdesk.reference.models import Priority
from opsdesk.sla.tasks import sla_tick
from opsdesk.sla.tick import sla_tick_run

from .report import record
from .support import Processes, SmtpServer, db_worker_argv, subprocess_env

INCIDENTS = 12
KILLS = 6
SLA_ENTRIES = {("response", "warning_first"), ("response", "warning_second"),
               ("response", "breach"), ("resolution", "warning_first"),
               ("resolution", "warning_second"), ("resolution", "breach"),
               ("breach", "escalated_head")}


@pytest.fixture
def smtp(settings):
    server = SmtpServer().start()
    server.use_here(settings)
    yield server
    server.stop()


def _log_overdue_p1s(org) -> list[Incident]:
    """P1 incidents for NET2, logged 5 hours ago: response (15 min) and resolution (4 h) are
    both overdue, so one tick records every warning, both breaches, the escalation to the
    incident managers (second warning), to the department head and to NET3 (breach)."""
    org.dept.head = org.colleague
    org.dept.save()
    p1 = Priority.objects.get(pk=1)
    incidents = []
    with time_machine.travel(timezone.now() - timedelta(hours=5), tick=False):
        for n in range(INCIDENTS):
            incident, _ = incident_create(
                by=org.desk, data={"short_description": f"Core switch {n} down",
                                   "requester": org.requester, "priority": p1,
                                   "priority_override_reason": "Fault test"},
                assign={"assignment_group": org.groups["NET2"]})
            incidents.append(incident)
    return incidents


def _escalation_done() -> bool:
    return IncidentEvent.objects.filter(kind=EventKind.SLA, action="escalated_head").count() \
        == INCIDENTS and Incident.objects.filter(assignment_group__code="NET3").count() \
        == INCIDENTS


def _mail_waiting() -> bool:
    """Messages still to send now (a lost worker's leased ones wait for their lease)."""
    return Delivery.objects.filter(
        status__in=(DeliveryStatus.PENDING, DeliveryStatus.RETRYING),
        next_attempt_at__lte=timezone.now()).exists()


def _run_with_kills(smtp: SmtpServer) -> Counter:
    """Two workers; KILLS times, kill one and start another. Every other kill waits for a
    worker to be running a task (the tick or a sending pass) and strikes 0-0.3 s into it; the
    others strike whichever worker at a random moment. The tick and the sending pass are
    queued every second meanwhile; after the last kill the last two workers finish."""
    rng = random.Random()
    env = subprocess_env(**smtp.env())
    workers = Processes("db-worker")
    stats = Counter()
    alive = {}

    def start() -> None:
        name = f"w{len(workers.running) + stats['kills']}"
        alive[name] = workers.start([*db_worker_argv(), "--worker-id", name], env)

    try:
        start(), start()
        next_kill, next_enqueue = time.monotonic() + rng.uniform(1.5, 3.5), 0.0
        deadline = time.monotonic() + 150
        while time.monotonic() < deadline:
            now = time.monotonic()
            if now >= next_enqueue:
                sla_tick.enqueue()
                deliveries_send.enqueue()
                next_enqueue = now + 1
            if stats["kills"] < KILLS and now >= next_kill:
                victim = _busy(alive) if stats["kills"] % 2 == 0 else rng.choice(list(alive))
                if victim is not None:
                    time.sleep(rng.uniform(0, 0.3))
                    stats["sending_at_kill"] += Delivery.objects.filter(
                        status=DeliveryStatus.SENDING).count()
                    workers.kill(alive.pop(victim))
                    stats["kills"] += 1
                    start()
                    next_kill = time.monotonic() + rng.uniform(0.5, 3.0)
            elif stats["kills"] >= KILLS and _escalation_done() and not _mail_waiting():
                break
            time.sleep(0.1)
        assert stats["kills"] == KILLS and _escalation_done(), workers.log_tail()
    finally:
        workers.stop()
    stats["tasks_lost_running"] = DBTaskResult.objects.filter(status="RUNNING").count()
    stats["leased_by_killed"] = Delivery.objects.filter(status=DeliveryStatus.SENDING).count()
    return stats


def _busy(alive: dict) -> str | None:
    """A live worker that is running a task now (django-tasks-db records who claimed it)."""
    for ids in DBTaskResult.objects.filter(status="RUNNING").values_list("worker_ids", flat=True):
        if ids and ids[-1] in alive:
            return ids[-1]
    return None


def _message_id(message) -> str:
    return (message["Message-ID"] or "").strip().strip("<>")


@pytest.mark.django_db(transaction=True)
def test_escalations_and_their_mail_go_out_once_however_often_the_worker_is_killed(
        reference_data, org, smtp):
    incidents = _log_overdue_p1s(org)
    started = time.monotonic()
    stats = _run_with_kills(smtp)
    stats["kill_phase_seconds"] = round(time.monotonic() - started)
    # Ten minutes on, the periodic pass takes back what the killed workers had leased.
    with time_machine.travel(timezone.now() + LEASE + timedelta(minutes=1)):
        recovered = deliveries_send_due()
        again = sla_tick_run()
    assert recovered.dead == recovered.retrying == 0
    assert not {k for k, v in again.items() if k != "checked" and v}, again  # nothing new

    # Every crossing and escalation recorded once per incident.
    entries = Counter(IncidentEvent.objects.filter(kind=EventKind.SLA).exclude(
        action="created").values_list("incident_id", "data__clock", "action"))
    for incident in incidents:
        mine = {(clock, action): n for (pk, clock, action), n in entries.items()
                if pk == incident.pk}
        assert set(mine) == SLA_ENTRIES and set(mine.values()) == {1}, (incident.number, mine)
        # Functional escalation once: assigned to NET2 at logging, to NET3 at the breach.
        assert incident.events.filter(kind=EventKind.TRANSITION, action="assign").count() == 2
    assert set(Incident.objects.values_list("assignment_group__code", flat=True)) == {"NET3"}
    # Hierarchical: at creation (P1), at each clock's second warning, the head at the breach.
    counts = set(Incident.objects.values_list("hierarchical_escalation_count", flat=True))
    assert counts == {4}, counts

    # Every message sent and received: exactly one message (recipient, Message-ID) per
    # delivery, none unknown. (The first mail of a thread to each address carries the thread's
    # Message-ID.) A second copy of the same message can only come from a worker killed after
    # the relay accepted it and before the outcome was written (sending.py: at-least-once for
    # that instant); it keeps its Message-ID, so the mailbox shows it once, and only a
    # delivery that a killed worker had claimed (attempts > 1) may have one.
    deliveries = list(Delivery.objects.filter(channel="email"))
    assert deliveries and {d.status for d in deliveries} == {DeliveryStatus.SENT}
    received = Counter((address, _message_id(message))
                       for addresses, message in smtp.messages for address in addresses)
    by_message = {(d.email, d.message_id.strip("<>")): d for d in deliveries}
    assert len(by_message) == len(deliveries)
    assert set(received) == set(by_message), set(received) ^ set(by_message)
    copies = {key: n for key, n in received.items() if n > 1}
    assert all(n <= by_message[key].attempts for key, n in copies.items()), copies
    assert len(copies) <= KILLS

    # Identical incidents, identical mail: per incident and history entry, the same recipients.
    per_incident = defaultdict(Counter)
    events = dict(IncidentEvent.objects.values_list("pk", "action"))
    for delivery in deliveries:
        _, pk, event_key, *_rest = delivery.idempotency_key.split(":")
        if entry := re.match(r"e(\d+)(.*)", event_key):  # a history entry: its kind, not id
            event_key = events[int(entry[1])] + entry[2]
        per_incident[int(pk)][event_key, delivery.email] += 1
    shapes = {frozenset(c.items()) for c in per_incident.values()}
    assert len(per_incident) == INCIDENTS and len(shapes) == 1, shapes
    record("worker_kills", {
        "incidents": INCIDENTS, "kills": stats["kills"],
        "sla_entries": sum(entries.values()), "mails": len(smtp.messages),
        "deliveries": len(deliveries), "second_copies": len(copies),
        "leased_by_killed": stats["leased_by_killed"],
        "tasks_lost_running": stats["tasks_lost_running"],
        "sending_at_kill": stats["sending_at_kill"],
        "recovered_after_lease": recovered.sent, "seconds": stats["kill_phase_seconds"]})
