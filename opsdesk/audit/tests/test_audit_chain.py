"""The audit log's chain: written under the head's lock, verified, and every tampering found."""

import threading

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections

from opsdesk.audit.models import AuditChainHead, AuditEvent, AuditKind
from opsdesk.audit.services import audit_record
from opsdesk.audit.verify import audit_chain_verify

pytestmark = pytest.mark.django_db


def _base() -> int:
    """Entries already written (the org fixture's accounts and groups are recorded too)."""
    return AuditEvent.objects.count()


def _write(n: int, **kwargs) -> list[AuditEvent]:
    return [audit_record(kind=AuditKind.CONFIG_CHANGED, target_text=f"change {i}",
                         details={"i": i, "ratio": 0.5, "whole": 2.0, "when": None}, **kwargs)
            for i in range(n)]


def _sql(statement: str, params=()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def test_entries_link_in_order_and_verify(org):
    base = _base()
    events = _write(3, actor=org.admin)
    assert [e.seq for e in events] == [base + 1, base + 2, base + 3]
    assert events[1].prev_hash == events[0].hash and events[2].prev_hash == events[1].hash
    assert events[0].actor_username == "admin"
    assert AuditChainHead.objects.get(pk=1).hash == events[-1].hash
    assert audit_chain_verify() == (None, base + 3)


def test_the_orm_cannot_change_or_remove_an_entry(org):
    event = _write(1)[0]
    event.target_text = "something else"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=event.pk).update(target_text="x")
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()
    with pytest.raises(PermissionError):  # not written by audit_record: no place in the chain
        AuditEvent(kind=AuditKind.EXPORT, seq=99).save()


def test_a_changed_entry_is_reported_exactly(org):
    events = _write(4)
    _sql(f"UPDATE {AuditEvent._meta.db_table} SET target_text = %s WHERE id = %s",
         ["forged", events[2].pk])
    broken, _count = audit_chain_verify()
    assert (broken.entry_id, broken.seq, broken.problem) == (events[2].pk, events[2].seq,
                                                             "content")


def test_a_changed_detail_is_reported(org):
    events = _write(3)
    _sql(f"UPDATE {AuditEvent._meta.db_table} SET details = %s WHERE id = %s",
         ['{"i": 7}', events[1].pk])
    broken, _count = audit_chain_verify()
    assert (broken.entry_id, broken.problem) == (events[1].pk, "content")


def test_a_removed_entry_is_reported(org):
    events = _write(4)
    _sql(f"DELETE FROM {AuditEvent._meta.db_table} WHERE id = %s", [events[1].pk])
    broken, _count = audit_chain_verify()
    assert (broken.entry_id, broken.seq, broken.problem) == (events[2].pk, events[2].seq,
                                                             "missing")


def test_a_removed_last_entry_is_reported_by_the_head(org):
    events = _write(3)
    _sql(f"DELETE FROM {AuditEvent._meta.db_table} WHERE id = %s", [events[2].pk])
    broken, _count = audit_chain_verify()
    assert (broken.problem, broken.seq) == ("head", events[2].seq)


def test_reordered_entries_are_reported(org):
    events = _write(4)
    table = AuditEvent._meta.db_table
    first, second = events[1], events[2]
    _sql(f"UPDATE {table} SET seq = 1000 WHERE id = %s", [first.pk])
    _sql(f"UPDATE {table} SET seq = %s WHERE id = %s", [first.seq, second.pk])
    _sql(f"UPDATE {table} SET seq = %s WHERE id = %s", [second.seq, first.pk])
    broken, _count = audit_chain_verify()
    assert (broken.entry_id, broken.seq) == (second.pk, first.seq)
    assert broken.problem in ("link", "content")


def test_the_command_says_ok_or_names_the_broken_entry(org, capsys):
    events = _write(3)
    call_command("audit_verify")
    assert "OK" in capsys.readouterr().out
    _sql(f"UPDATE {AuditEvent._meta.db_table} SET ip = %s WHERE id = %s",
         ["10.6.6.6", events[0].pk])
    with pytest.raises(CommandError) as error:
        call_command("audit_verify")
    assert error.value.returncode == 1
    assert f"audit: entry id {events[0].pk} (seq {events[0].seq}): content" in \
        capsys.readouterr().err


def test_a_lost_head_row_is_made_again_from_the_last_entry(org):
    events = _write(2)
    _sql(f"DELETE FROM {AuditChainHead._meta.db_table}")
    third = _write(1)[0]
    assert (third.seq, third.prev_hash) == (events[-1].seq + 1, events[-1].hash)
    assert audit_chain_verify() == (None, third.seq)


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_make_one_gapless_chain(reference_data):
    """Four threads, each on its own connection, append at once: no fork, no gap."""
    threads, per_thread, errors = 4, 15, []
    barrier = threading.Barrier(threads)

    def writer(n):
        try:
            barrier.wait()
            for i in range(per_thread):
                audit_record(kind=AuditKind.TOKEN_USED, target_text=f"t{n}-{i}")
        except Exception as exc:  # reported below: a thread's failure must fail the test
            errors.append(exc)
        finally:
            connections.close_all()

    workers = [threading.Thread(target=writer, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    seqs = sorted(AuditEvent.objects.values_list("seq", flat=True))
    assert seqs == list(range(1, threads * per_thread + 1))
    assert audit_chain_verify() == (None, threads * per_thread)
