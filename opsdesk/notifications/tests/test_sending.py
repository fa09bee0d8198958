"""Retries with backoff, dead letters, lease recovery and several workers, with real HTTP."""

import random
import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection, transaction
from django_tasks_db.models import DBTaskResult

from opsdesk.notifications.models import Delivery, Endpoint
from opsdesk.notifications.sending import (
    LEASE,
    MAX_ATTEMPTS,
    RETRY_DELAYS,
    deliveries_claim,
    deliveries_send_due,
    delivery_send,
    retry_delay,
)
from opsdesk.notifications.services import delivery_enqueue, delivery_retry

from .test_enqueue import run_in_threads

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
SCHEDULE = [timedelta(seconds=30), timedelta(minutes=2), timedelta(minutes=10),
            timedelta(hours=1), timedelta(hours=6), timedelta(hours=12), timedelta(hours=24)]


def post(endpoint, key="evt1:webhook") -> Delivery:
    return delivery_enqueue(key=key, channel=endpoint.kind, recipient=endpoint,
                            subject="INC202611250001", text="已受理")


def test_backoff_schedule_with_jitter_within_20_percent():
    assert list(RETRY_DELAYS) == SCHEDULE and MAX_ATTEMPTS == 8
    rng = random.Random(4)
    for attempt, base in enumerate(SCHEDULE, start=1):
        delays = [retry_delay(attempt=attempt, rng=rng) for _ in range(200)]
        assert base * 0.8 <= min(delays) and max(delays) <= base * 1.2
        assert len(set(delays)) > 100  # jittered, so a recovered channel is not stampeded
    assert base * 0.8 <= retry_delay(attempt=20) <= base * 1.2  # capped at the last step


@pytest.mark.django_db
def test_failures_back_off_then_the_delivery_is_dead_after_the_last_attempt(receiver, webhook):
    receiver.status = 500
    clock = NOW
    with time_machine.travel(clock, tick=False) as traveller:
        delivery = post(webhook)
        for attempt in range(1, MAX_ATTEMPTS + 1):
            assert deliveries_send_due().taken == 1
            delivery.refresh_from_db()
            assert delivery.attempts == attempt and len(receiver.requests) == attempt
            if attempt == MAX_ATTEMPTS:
                break
            wait = delivery.next_attempt_at - clock
            base = SCHEDULE[attempt - 1]
            assert delivery.status == "failed_retrying" and base * 0.8 <= wait <= base * 1.2
            clock = delivery.next_attempt_at - timedelta(seconds=1)
            traveller.move_to(clock)
            assert deliveries_send_due().taken == 0  # not a second early
            clock += timedelta(seconds=1)
            traveller.move_to(clock)
        assert delivery.status == "dead" and delivery.last_error.startswith("HTTP 500")
        traveller.move_to(clock + timedelta(days=30))
        assert deliveries_send_due().taken == 0
    assert len(receiver.requests) == MAX_ATTEMPTS


@pytest.mark.django_db
def test_a_worker_killed_mid_send_loses_nothing_after_the_lease(receiver, webhook):
    with time_machine.travel(NOW, tick=False) as traveller:
        delivery = post(webhook)
        [claimed] = deliveries_claim(limit=10)  # ...and the worker dies before sending
        assert claimed.status == "sending" and claimed.next_attempt_at == NOW + LEASE
        traveller.move_to(NOW + LEASE - timedelta(seconds=1))
        assert deliveries_send_due().taken == 0  # still leased to the lost worker
        traveller.move_to(NOW + LEASE)
        assert deliveries_send_due().sent == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("sent", 2)
    assert len(receiver.requests) == 1


@pytest.mark.django_db
def test_a_claim_whose_lease_ran_out_is_not_sent_by_its_slow_worker(receiver, webhook):
    with time_machine.travel(NOW, tick=False) as traveller:
        post(webhook)
        [slow] = deliveries_claim(limit=10)
        traveller.move_to(NOW + LEASE)
        [taken_over] = deliveries_claim(limit=10)
        assert delivery_send(delivery=taken_over) == "sent"
        assert delivery_send(delivery=slow) is None  # too late: it sends nothing
    assert len(receiver.requests) == 1
    assert Delivery.objects.get().status == "sent"


@pytest.mark.django_db
def test_lost_during_the_last_attempt_is_dead_without_sending(receiver, webhook):
    with time_machine.travel(NOW, tick=False) as traveller:
        delivery = post(webhook)
        Delivery.objects.filter(pk=delivery.pk).update(attempts=MAX_ATTEMPTS, status="sending")
        traveller.move_to(NOW + LEASE)
        assert deliveries_send_due().dead == 1
    assert receiver.requests == []


@pytest.mark.django_db
def test_a_switched_off_endpoint_is_dead_and_can_be_sent_again(receiver, webhook):
    delivery = post(webhook)
    Endpoint.objects.filter(pk=webhook.pk).update(is_active=False)
    assert deliveries_send_due().dead == 1
    Endpoint.objects.filter(pk=webhook.pk).update(is_active=True)
    delivery_retry(delivery=delivery)
    assert deliveries_send_due().sent == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("sent", 1)


@pytest.mark.django_db(transaction=True)
def test_several_workers_send_every_delivery_exactly_once(receiver):
    endpoint = Endpoint.objects.create(kind="webhook", url=receiver.url(), secret="s" * 16,
                                       name_zh="钩子", name_en="Hook")
    ids = {post(endpoint, key=f"evt{n}:webhook").pk for n in range(40)}
    reports = run_in_threads(4, lambda _n: deliveries_send_due())
    assert sum(report.sent for report in reports) == 40
    posted = [int(request.headers["X-Opsdesk-Delivery"]) for request in receiver.requests]
    assert sorted(posted) == sorted(ids)
    assert set(Delivery.objects.values_list("status", "attempts")) == {("sent", 1)}


@pytest.mark.django_db(transaction=True)
def test_the_worker_runs_the_queued_pass_and_queues_one_for_the_first_retry(receiver):
    endpoint = Endpoint.objects.create(kind="webhook", url=receiver.url(), secret="s" * 16,
                                       name_zh="钩子", name_en="Hook")
    post(endpoint, key="ok")
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    assert Delivery.objects.get(idempotency_key="ok").status == "sent"
    receiver.status = 500
    post(endpoint, key="fails")
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    failed = Delivery.objects.get(idempotency_key="fails")
    assert failed.status == "failed_retrying"
    [follow_up] = DBTaskResult.objects.filter(status="READY")
    assert follow_up.run_after == failed.next_attempt_at


@pytest.mark.django_db
def test_management_command_runs_one_pass(receiver, webhook, capsys):
    post(webhook)
    call_command("notifications_send")
    assert "sent 1, failed and waiting 0, dead 0" in capsys.readouterr().out
    assert Delivery.objects.get().status == "sent"


@pytest.mark.django_db(transaction=True)
def test_a_second_worker_never_claims_rows_the_first_holds(receiver):
    """Two workers claim at once. With SKIP LOCKED (PostgreSQL, MariaDB) the second takes the
    other rows at once, while the first still holds its locks; SQLite has one writer, so the
    second waits for the first to commit and then takes the other rows. Never the same row."""
    endpoint = Endpoint.objects.create(kind="webhook", url=receiver.url(), secret="s" * 16,
                                       name_zh="钩子", name_en="Hook")
    for n in range(6):
        post(endpoint, key=f"evt{n}:webhook")
    holding, release = threading.Event(), threading.Event()
    first, second = [], []

    def in_thread(claim, into):
        try:
            into.append(claim())
        finally:
            connection.close()

    def slow_claim():
        with transaction.atomic():  # its claim's row locks stay until this commits
            claimed = [delivery.pk for delivery in deliveries_claim(limit=3)]
            holding.set()
            release.wait(timeout=30)
        return claimed

    slow = threading.Thread(target=in_thread, args=(slow_claim, first))
    slow.start()
    assert holding.wait(timeout=30)
    other = threading.Thread(target=in_thread, args=(
        lambda: [delivery.pk for delivery in deliveries_claim(limit=6)], second))
    other.start()
    skip_locked = connection.features.has_select_for_update_skip_locked
    if skip_locked:
        other.join(timeout=30)
        assert second and not release.is_set(), "the second worker waited for the first"
    release.set()
    slow.join(timeout=30)
    other.join(timeout=30)
    assert len(first[0]) == 3 and len(second[0]) == 3
    assert not set(first[0]) & set(second[0])
