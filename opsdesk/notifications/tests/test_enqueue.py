"""delivery_enqueue: one delivery per key, sent after the caller's commit, checked input."""

import threading

import pytest
from django.db import connection, transaction
from django_tasks_db.models import DBTaskResult

from opsdesk.core.exceptions import InvalidInput
from opsdesk.notifications.models import Delivery, Endpoint
from opsdesk.notifications.services import delivery_enqueue

TASK_PATH = "opsdesk.notifications.tasks.deliveries_send"


def mail(key: str, address: str = "li.lei@example.com", **kwargs) -> Delivery:
    values = {"subject": "INC202611250001 已受理", "text": "已受理", **kwargs}
    return delivery_enqueue(key=key, channel="email", recipient=address, **values)


def send_tasks() -> int:
    return DBTaskResult.objects.filter(task_path=TASK_PATH).count()


@pytest.mark.django_db
def test_same_key_returns_the_first_delivery_and_schedules_nothing_more(
        django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as first_callbacks:
        first = mail("evt1:email:li.lei@example.com")
    with django_capture_on_commit_callbacks(execute=True) as second_callbacks:
        second = mail("evt1:email:li.lei@example.com", subject="changed", text="changed")
    assert second.pk == first.pk and second.subject == "INC202611250001 已受理"
    assert Delivery.objects.count() == 1
    assert (len(first_callbacks), len(second_callbacks)) == (1, 0)
    assert send_tasks() == 1


@pytest.mark.django_db
def test_new_delivery_is_pending_and_due_now_with_the_given_fields():
    delivery = mail("k", thread_key="incident:1", html="<p>已受理</p>", language="en",
                    payload=None)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.channel) == ("pending", 0, "email")
    assert (delivery.email, delivery.endpoint, delivery.language) == (
        "li.lei@example.com", None, "en")
    assert delivery.thread_key == "incident:1" and delivery.html == "<p>已受理</p>"


@pytest.mark.django_db
def test_subject_is_one_line():
    assert mail("k", subject="INC1\r\n已受理\tnow").subject == "INC1 已受理 now"


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_caller_leaves_no_delivery_and_no_task():
    with pytest.raises(RuntimeError), transaction.atomic():
        mail("evt1:email:li.lei@example.com")
        raise RuntimeError("the caller's transaction fails")
    assert Delivery.objects.count() == 0
    assert send_tasks() == 0


@pytest.mark.django_db(transaction=True)
def test_the_send_task_is_queued_only_after_the_commit():
    with transaction.atomic():
        mail("evt1:email:li.lei@example.com")
        assert send_tasks() == 0
    assert send_tasks() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("channel, recipient, field", [
    ("email", "not an address", "recipient"),
    ("email", None, "recipient"),
    ("webhook", "ops@example.com", "recipient"),
    ("wecom", "endpoint:webhook", "recipient"),
    ("sms", "endpoint:webhook", "recipient"),
])
def test_recipient_must_fit_the_channel(channel, recipient, field):
    if recipient == "endpoint:webhook":
        recipient = Endpoint.objects.create(kind="webhook", url="https://example.com/h",
                                            secret="s", name_zh="钩子", name_en="Hook")
    with pytest.raises(InvalidInput) as error:
        delivery_enqueue(key="k", channel=channel, recipient=recipient, subject="s", text="t")
    assert set(error.value.errors) == {field}
    assert Delivery.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("key, language, field", [
    ("", "en", "key"), ("x" * 256, "en", "key"), ("k", "fr", "language")])
def test_key_and_language_are_checked(key, language, field):
    with pytest.raises(InvalidInput) as error:
        mail(key, language=language)
    assert set(error.value.errors) == {field}


def run_in_threads(count: int, target) -> list:
    """Run target(n) in `count` threads that start together; return results, raise errors."""
    start, results, errors = threading.Barrier(count), [], []

    def run(n):
        try:
            start.wait(timeout=30)
            results.append(target(n))
        except BaseException as exc:  # noqa: BLE001  (re-raised by the main thread)
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == [] and not any(thread.is_alive() for thread in threads)
    return results


@pytest.mark.django_db(transaction=True)
def test_concurrent_enqueues_of_the_same_keys_make_one_delivery_each():
    def enqueue_all(_n):
        ids = []
        for event in range(10):
            with transaction.atomic():
                ids.append(mail(f"evt{event}:email:li.lei@example.com").pk)
        return ids

    results = run_in_threads(6, enqueue_all)
    assert Delivery.objects.count() == 10
    assert all(ids == results[0] for ids in results)  # every thread got the same rows
    # A pass that has not started yet waits: it sends all ten when it does. While one waits, no
    # more are queued, and none is queued for a duplicate.
    assert DBTaskResult.objects.filter(task_path=TASK_PATH, status="READY").exists()
    assert 1 <= send_tasks() <= 10


@pytest.mark.django_db(transaction=True)
def test_while_a_queued_pass_waits_to_start_new_deliveries_queue_no_other():
    for event in range(5):
        with transaction.atomic():
            mail(f"evt{event}:email:li.lei@example.com")
    assert send_tasks() == 1  # the one pass will send all five when it starts
    DBTaskResult.objects.filter(task_path=TASK_PATH).update(status="RUNNING")
    with transaction.atomic():
        mail("evt5:email:li.lei@example.com")  # the pass may have read the rows already
    assert send_tasks() == 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_first_messages_of_a_thread_have_one_thread_root():
    def enqueue(n):
        with transaction.atomic():
            return mail(f"evt{n}:email:li.lei@example.com", thread_key="incident:7").pk

    run_in_threads(6, enqueue)
    message_ids = list(Delivery.objects.values_list("message_id", flat=True))
    roots = Delivery.objects.exclude(thread_root=None)
    assert roots.count() == 1
    assert len(set(message_ids)) == 6  # the others keep their own Message-ID
