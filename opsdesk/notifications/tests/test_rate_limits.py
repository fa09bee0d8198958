"""Robots' rate limits against a real HTTP receiver: over the limit waits, never fails or drops."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from opsdesk.notifications.models import Delivery, Endpoint
from opsdesk.notifications.ratelimit import LIMITS, Limit, free_at
from opsdesk.notifications.services import deliveries_send_due, delivery_enqueue

from .test_enqueue import run_in_threads

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
SECOND, MINUTE = timedelta(seconds=1), timedelta(minutes=1)


def robot(receiver, kind: str) -> Endpoint:
    return Endpoint.objects.create(kind=kind, url=receiver.url(f"/{kind}/send?key=k"),
                                   name_zh="运维群", name_en="Ops group")


def enqueue(endpoint, count: int, start: int = 0) -> list[Delivery]:
    return [delivery_enqueue(key=f"evt{n}:{endpoint.kind}", channel=endpoint.kind,
                             recipient=endpoint, subject=f"P2 告警 {n}", text="磁盘将满")
            for n in range(start, start + count)]


def statuses() -> dict[tuple[str, int], int]:
    counts: dict[tuple[str, int], int] = {}
    for status, attempts in Delivery.objects.values_list("status", "attempts"):
        counts[status, attempts] = counts.get((status, attempts), 0) + 1
    return counts


def test_the_vendors_documented_limits():
    assert LIMITS == {"wecom": (Limit(20, MINUTE),), "dingtalk": (Limit(20, MINUTE),),
                      "feishu": (Limit(100, MINUTE), Limit(5, SECOND))}


def test_free_at_is_when_the_fullest_window_frees():
    limits = (Limit(3, MINUTE), Limit(2, SECOND))
    assert free_at(recent=[], limits=limits, now=NOW) is None
    assert free_at(recent=[NOW - 2 * SECOND] * 2, limits=limits, now=NOW) is None
    assert free_at(recent=[NOW, NOW], limits=limits, now=NOW) == NOW + SECOND
    three = [NOW - 10 * SECOND, NOW - 20 * SECOND, NOW - 30 * SECOND]
    assert free_at(recent=three, limits=limits, now=NOW) == NOW + 30 * SECOND
    assert free_at(recent=three, limits=limits, now=NOW + 30 * SECOND) is None


@pytest.mark.django_db
def test_25_messages_to_one_wecom_robot_send_20_and_the_rest_after_the_minute(receiver):
    endpoint = robot(receiver, "wecom")
    with time_machine.travel(NOW, tick=False) as traveller:
        enqueue(endpoint, 25)
        report = deliveries_send_due()
        assert (report.sent, report.deferred, report.retrying, report.dead) == (20, 5, 0, 0)
        assert report.next_retry_at == NOW + MINUTE  # the task queues its next pass then
        assert len(receiver.requests) == 20
        assert statuses() == {("sent", 1): 20, ("pending", 0): 5}  # no attempt counted
        deferred = Delivery.objects.filter(status="pending")
        assert {(d.next_attempt_at, d.last_error) for d in deferred} == {(NOW + MINUTE, "")}
        traveller.move_to(NOW + MINUTE - SECOND)
        assert deliveries_send_due().taken == 0 and len(receiver.requests) == 20
        traveller.move_to(NOW + MINUTE)
        assert deliveries_send_due().sent == 5
    assert len(receiver.requests) == 25 and statuses() == {("sent", 1): 25}


@pytest.mark.django_db
def test_the_window_slides_over_sends_spread_within_a_minute(receiver):
    endpoint = robot(receiver, "dingtalk")
    with time_machine.travel(NOW, tick=False) as traveller:
        enqueue(endpoint, 15)
        assert deliveries_send_due().sent == 15
        traveller.move_to(NOW + 30 * SECOND)
        enqueue(endpoint, 10, start=15)
        report = deliveries_send_due()
        assert (report.sent, report.deferred) == (5, 5)
        assert report.next_retry_at == NOW + MINUTE  # when the first 15 leave the window
        traveller.move_to(NOW + MINUTE)
        assert deliveries_send_due().sent == 5
    assert len(receiver.requests) == 25


@pytest.mark.django_db
def test_feishu_also_keeps_to_five_a_second(receiver):
    receiver.answer = {"code": 0, "msg": "success"}
    endpoint = robot(receiver, "feishu")
    with time_machine.travel(NOW, tick=False) as traveller:
        enqueue(endpoint, 7)
        report = deliveries_send_due()
        assert (report.sent, report.deferred, report.next_retry_at) == (5, 2, NOW + SECOND)
        traveller.move_to(NOW + SECOND)
        assert deliveries_send_due().sent == 2


@pytest.mark.django_db
def test_other_robots_and_email_are_not_held_back_by_one_robots_limit(receiver):
    busy, other = robot(receiver, "wecom"), robot(receiver, "dingtalk")
    with time_machine.travel(NOW, tick=False):
        enqueue(busy, 22)
        enqueue(other, 3, start=100)
        report = deliveries_send_due()
    assert (report.sent, report.deferred) == (23, 2)


@pytest.mark.django_db
@pytest.mark.parametrize("kind, answer, wait", [
    ("wecom", {"errcode": 45009, "errmsg": "api freq out of limit"}, MINUTE),
    ("dingtalk", {"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"},
     10 * MINUTE),
])
def test_a_robot_that_answers_too_fast_is_waited_for_not_failed(receiver, kind, answer, wait):
    receiver.answer = answer  # someone else posts to the same robot
    endpoint = robot(receiver, kind)
    with time_machine.travel(NOW, tick=False) as traveller:
        [delivery] = enqueue(endpoint, 1)
        for _round in range(10):  # however often: never nearer to dead
            assert deliveries_send_due().deferred == 1
            traveller.shift(wait)
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts, delivery.last_error) == ("pending", 0, "")
        receiver.answer = {"errcode": 0, "errmsg": "ok"}
        assert deliveries_send_due().sent == 1
    assert len(receiver.requests) == 11


@pytest.mark.django_db
def test_a_webhook_answering_429_is_an_ordinary_failure(receiver, webhook):
    receiver.status = 429
    with time_machine.travel(NOW, tick=False):
        delivery_enqueue(key="evt:webhook", channel="webhook", recipient=webhook,
                         subject="x", text="y")
        report = deliveries_send_due()
    assert report.retrying == 1 and report.deferred == 0


@pytest.mark.django_db(transaction=True)
def test_several_workers_together_keep_to_the_limit(receiver):
    endpoint = robot(receiver, "wecom")
    enqueue(endpoint, 25)
    reports = run_in_threads(4, lambda _n: deliveries_send_due())
    assert sum(report.sent for report in reports) == 20 == len(receiver.requests)
    assert sum(report.deferred for report in reports) == 5
    assert statuses() == {("sent", 1): 20, ("pending", 0): 5}
