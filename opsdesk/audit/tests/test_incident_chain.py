"""Every incident's history is a hash chain: written by the services, bulk seeding, backfill."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.models import QuerySet
from django.test.utils import CaptureQueriesContext

from opsdesk.audit import incident_chain
from opsdesk.audit.verify import BrokenLink, incident_chains_verify
from opsdesk.core.testing.factories import incident_factory
from opsdesk.incidents.choices import Channel, EventKind
from opsdesk.incidents.models import Incident, IncidentEvent
from opsdesk.incidents.services import comment_create, incident_transition

pytestmark = pytest.mark.django_db
TABLE = IncidentEvent._meta.db_table
INCIDENTS = Incident._meta.db_table


def _busy_incident(org):
    incident = incident_factory(by=org.desk, channel=Channel.PHONE, requester=org.requester)
    incident = incident_transition(incident=incident, action="assign", by=org.desk,
                                   assignment_group=org.groups["NET2"])
    comment_create(incident=incident, by=org.engineer, body="Looking into it: 打印机 offline")
    comment_create(incident=incident, by=org.engineer, body="note", visibility="internal")
    return incident


def _results():
    return list(incident_chains_verify())


def _sql(statement: str, params=()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def test_the_services_chain_each_incident_history(org):
    first, second = _busy_incident(org), _busy_incident(org)
    for incident in (first, second):
        events = list(incident.events.order_by("seq"))
        assert [e.seq for e in events] == list(range(1, len(events) + 1))
        assert events[0].kind == EventKind.CREATED and events[0].prev_hash == ""
        assert all(b.prev_hash == a.hash for a, b in zip(events, events[1:]))
    assert _results() == [first.events.count(), second.events.count()]


def test_the_created_entry_reads_nothing_and_a_later_one_one_read(org):
    """Each entry costs its insert and one update of the incident's head; only a later entry
    reads its predecessor."""
    with CaptureQueriesContext(connection) as captured:
        incident = incident_factory(by=org.desk)
    assert incident.events.get().seq == 1
    assert not [q for q in captured.captured_queries
                if q["sql"].startswith("SELECT") and TABLE in q["sql"]]
    with CaptureQueriesContext(connection) as captured:
        IncidentEvent.objects.create(incident=incident, kind=EventKind.FIELD, actor=org.desk,
                                     field="x", new_value="y")
    reads = [q for q in captured.captured_queries
             if q["sql"].startswith("SELECT") and TABLE in q["sql"]]
    head_updates = [q for q in captured.captured_queries
                    if q["sql"].startswith("UPDATE") and INCIDENTS in q["sql"]]
    assert len(reads) == 1 and len(head_updates) == 1 and len(captured) == 3


def test_the_incident_row_holds_the_end_of_its_chain(org):
    incident = _busy_incident(org)
    last = incident.events.order_by("-seq").first()
    assert Incident.objects.filter(pk=incident.pk).values_list(
        "history_seq", "history_hash").get() == (last.seq, last.hash)


def test_a_removed_last_entry_is_reported(org):
    incident = _busy_incident(org)
    events = list(incident.events.order_by("seq"))
    _sql(f"DELETE FROM {TABLE} WHERE id = %s", [events[-1].pk])
    [broken] = _results()
    assert isinstance(broken, BrokenLink)
    assert (broken.chain, broken.entry_id, broken.seq, broken.problem) == (
        incident.number, None, len(events), "head")
    assert f"seq {len(events) - 1}" in broken.found


def test_an_incident_whose_whole_history_was_removed_is_reported(org):
    incident = _busy_incident(org)
    _sql(f"DELETE FROM {TABLE} WHERE incident_id = %s", [incident.pk])
    [broken] = _results()
    assert (broken.chain, broken.problem) == (incident.number, "head")


def test_a_rewritten_last_entry_with_a_recomputed_hash_is_reported(org):
    """Forging the last entry and its own hash still breaks the head the incident records."""
    incident = _busy_incident(org)
    last = incident.events.order_by("-seq").first()
    last.new_value = "forged"
    forged = incident_chain.chain.link_hash(last.prev_hash, incident_chain.event_content(last))
    _sql(f"UPDATE {TABLE} SET new_value = %s, hash = %s WHERE id = %s",
         ["forged", forged, last.pk])
    [broken] = _results()
    assert (broken.chain, broken.problem) == (incident.number, "head")


def test_saving_an_instance_loaded_before_new_entries_keeps_the_head(org):
    incident = _busy_incident(org)
    stale = Incident.objects.get(pk=incident.pk)
    comment_create(incident=incident, by=org.engineer, body="a later reply")
    stale.short_description = "edited through an old instance"
    stale.save()
    assert _results() == [incident.events.count()]


def test_a_changed_entry_is_reported_exactly(org):
    incident = _busy_incident(org)
    target = incident.events.order_by("seq")[2]
    _sql(f"UPDATE {TABLE} SET new_value = %s WHERE id = %s", ["forged", target.pk])
    [broken] = _results()
    assert isinstance(broken, BrokenLink)
    assert (broken.chain, broken.entry_id, broken.seq, broken.problem) == (
        incident.number, target.pk, 3, "content")


def test_a_changed_actor_or_time_is_reported(org):
    incident = _busy_incident(org)
    target = incident.events.order_by("seq")[1]
    _sql(f"UPDATE {TABLE} SET actor_id = %s WHERE id = %s", [org.admin.pk, target.pk])
    [broken] = _results()
    assert (broken.entry_id, broken.problem) == (target.pk, "content")


def test_a_removed_entry_is_reported(org):
    incident = _busy_incident(org)
    events = list(incident.events.order_by("seq"))
    _sql(f"DELETE FROM {TABLE} WHERE id = %s", [events[1].pk])
    [broken] = _results()
    assert (broken.entry_id, broken.seq, broken.problem) == (events[2].pk, 3, "missing")


def test_reordered_entries_are_reported(org):
    incident = _busy_incident(org)
    a, b = list(incident.events.order_by("seq"))[1:3]
    _sql(f"UPDATE {TABLE} SET seq = 1000 WHERE id = %s", [a.pk])
    _sql(f"UPDATE {TABLE} SET seq = %s WHERE id = %s", [a.seq, b.pk])
    _sql(f"UPDATE {TABLE} SET seq = %s WHERE id = %s", [b.seq, a.pk])
    [broken] = _results()
    assert (broken.entry_id, broken.seq) == (b.pk, 2)


def test_only_the_touched_incident_is_reported(org, capsys):
    intact, touched = _busy_incident(org), _busy_incident(org)
    target = touched.events.order_by("seq").first()
    _sql(f"UPDATE {TABLE} SET is_internal = %s WHERE id = %s", [True, target.pk])
    results = _results()
    assert results[0] == intact.events.count()
    assert (results[1].chain, results[1].entry_id) == (touched.number, target.pk)
    with pytest.raises(CommandError):
        call_command("audit_verify")
    err = capsys.readouterr().err
    assert f"{touched.number}: entry id {target.pk} (seq 1): content" in err
    assert intact.number not in err


def test_bulk_rows_are_chained_before_insert(org):
    incident = _busy_incident(org)
    known = incident.events.count()
    rows = [IncidentEvent(incident=incident, kind=EventKind.SLA, actor=None, at=None,
                          data={"n": n, "f": 1.0}) for n in range(3)]
    incident_chain.events_chain(rows)
    IncidentEvent.objects.bulk_create(rows)
    assert [r.seq for r in rows] == [known + 1, known + 2, known + 3]
    assert _results()[0].problem == "head"  # a bulk writer must anchor the new end too
    [(pk, (seq, hash_))] = incident_chain.heads_of(rows).items()
    Incident.objects.filter(pk=pk).update(history_seq=seq, history_hash=hash_)
    assert _results() == [known + 3]


def test_backfill_links_history_written_before_chains(org):
    first, second = _busy_incident(org), _busy_incident(org)
    _sql(f"UPDATE {TABLE} SET seq = NULL, prev_hash = '', hash = ''")
    assert isinstance(_results()[0], BrokenLink)
    linked = incident_chain.chains_backfill(IncidentEvent, batch=1)
    assert linked == first.events.count() + second.events.count()
    assert _results() == [first.events.count(), second.events.count()]
    # The heads anchor what the backfill linked; incidents without a head get theirs.
    Incident.objects.update(history_seq=0, history_hash="")
    assert {r.problem for r in _results()} == {"head"}
    assert incident_chain.heads_backfill(Incident, IncidentEvent, batch=1) == 2
    assert _results() == [first.events.count(), second.events.count()]
    # New entries continue the backfilled chains.
    comment_create(incident=first, by=org.engineer, body="after the backfill")
    assert _results()[0] == first.events.count()
    assert QuerySet(IncidentEvent).filter(hash="").count() == 0


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_on_one_incident_keep_one_chain(reference_data, org):
    """Threads comment on the same incident at once: the row lock orders them, no fork."""
    import threading

    from django.db import connections

    incident = _busy_incident(org)
    threads, per_thread, errors = 4, 5, []
    barrier = threading.Barrier(threads)

    def writer(n):
        try:
            barrier.wait()
            for i in range(per_thread):
                comment_create(incident=incident, by=org.engineer, body=f"thread {n} note {i}",
                               visibility="internal")
        except Exception as exc:  # a thread's failure must fail the test
            errors.append(exc)
        finally:
            connections.close_all()

    workers = [threading.Thread(target=writer, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    count = incident.events.count()
    assert sorted(incident.events.values_list("seq", flat=True)) == list(range(1, count + 1))
    assert _results() == [count]
