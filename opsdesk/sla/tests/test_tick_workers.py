"""Two tick workers at once never record the same crossing twice, on every database.

PostgreSQL and MySQL/MariaDB: two processes claim rows with FOR UPDATE SKIP LOCKED. SQLite has
no row locks: its transactions are IMMEDIATE, so the two processes take turns on the same
code path. Either way each crossing is a conditional UPDATE that only one worker wins.
"""

import multiprocessing
from collections import Counter

import pytest
from django.db import connections

from opsdesk.incidents.choices import EventKind
from opsdesk.incidents.models import Incident, IncidentEvent
from opsdesk.incidents.tests.sla_support import logged, sh
from opsdesk.sla.tick import _cross, sla_tick_run

TICK_AT = sh(2025, 3, 10, 11, 30)  # every response clock below has breached


def _worker(barrier, results) -> None:
    """One worker process: wait for the other, then tick in small batches."""
    try:
        barrier.wait(timeout=30)
        results.put(("ok", dict(sla_tick_run(now=TICK_AT, batch_size=3))))
    except Exception as error:  # reported to the parent, which fails the test
        results.put(("error", repr(error)))
    finally:
        connections.close_all()


@pytest.mark.django_db(transaction=True)
def test_two_worker_processes_record_each_crossing_once(reference_data, org):
    incidents = [logged(org, when=sh(2025, 3, 10, 9, 0)) for _n in range(12)]
    connections.close_all()  # the children open their own connections
    context = multiprocessing.get_context("fork")
    barrier, results = context.Barrier(2), context.Queue()
    workers = [context.Process(target=_worker, args=(barrier, results)) for _n in range(2)]
    for worker in workers:
        worker.start()
    outcomes = [results.get(timeout=120) for _worker_ in workers]
    for worker in workers:
        worker.join(timeout=30)
    assert [kind for kind, _detail in outcomes] == ["ok", "ok"], outcomes
    crossings = Counter(IncidentEvent.objects.filter(kind=EventKind.SLA).values_list(
        "incident_id", "data__clock", "data__crossing"))
    expected = {(i.pk, "response", c) for i in incidents
                for c in ("warning_first", "warning_second", "breach")}
    assert set(crossings) == expected and set(crossings.values()) == {1}
    assert sum(o[1].get("response_breach", 0) for o in outcomes) == len(incidents)


@pytest.mark.django_db
def test_a_worker_with_a_stale_copy_loses_the_conditional_update(org):
    from opsdesk.sla.policies import policy_get

    incident = logged(org, when=sh(2025, 3, 10, 9, 0))
    stale = Incident.objects.get(pk=incident.pk)
    policy, recorded = policy_get(code="P3"), Counter()
    _cross(incident=incident, policy=policy, clock="response", level=1, recorded=recorded)
    _cross(incident=stale, policy=policy, clock="response", level=1, recorded=recorded)
    assert recorded == Counter({"response_warning_first": 1})
    assert incident.events.filter(kind=EventKind.SLA).count() == 1
