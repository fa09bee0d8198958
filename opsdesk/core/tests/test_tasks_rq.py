"""Background work on RQ and Redis (OPSDESK_TASKS_BACKEND=rq), against the real Redis.

The tasks are our real ones, queued through the Django Tasks API to django-tasks-rq and run by
RQ's SimpleWorker in this process (so they see the test's committed rows on every database),
in burst mode: it runs what is queued, then returns. `opsdesk up`'s worker command line is
run for real as well, as a subprocess.

Isolation: the tests use their own Redis database (OPSDESK_TEST_REDIS_URL, default
redis://127.0.0.1:6379/15). opsdesk's tasks all go to the queue "default", as in production, and
a task queues follow-up tasks there too (an SLA warning queues a notification pass), so the queue
name cannot be made unique per pytest-xdist worker. Instead each test holds a Redis lock for
that database: RQ tests of parallel workers (or of another checkout) take turns, and each
starts and ends with no rq:* keys.
"""

import os
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import django_rq
import pytest
from django.conf import settings as django_settings
from django.utils import timezone
from django_tasks import task_backends
from django_tasks.signals import task_enqueued
from django_tasks_db.models import DBTaskResult
from django_tasks_rq import Job, RQBackend
from redis import Redis
from rq import SimpleWorker

from opsdesk.core.management.commands.up import _worker_argv
from opsdesk.core.periodic import periodic_loop
from opsdesk.incidents.choices import EventKind
from opsdesk.incidents.models import IdempotencyKey
from opsdesk.incidents.tasks import idempotency_keys_prune
from opsdesk.incidents.tests.sla_support import logged
from opsdesk.notifications.models import Delivery
from opsdesk.notifications.tasks import deliveries_send
from opsdesk.sla.tasks import sla_tick

ROOT = Path(__file__).resolve().parents[3]
REDIS_URL = os.environ.get("OPSDESK_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
RQ_BACKEND = "django_tasks_rq.RQBackend"
LOCK = "opsdesk-test:rq-lock"


def _rq_keys_delete(redis: Redis) -> None:
    for key in redis.scan_iter("rq:*"):
        redis.delete(key)


@pytest.fixture
def rq_redis():
    """The tests' Redis database, to ourselves (see the module docstring), without rq:* keys."""
    redis = Redis.from_url(REDIS_URL)
    with redis.lock(LOCK, timeout=300, blocking_timeout=600):
        _rq_keys_delete(redis)
        yield redis
        _rq_keys_delete(redis)
    redis.close()


@pytest.fixture
def rq_backend(settings, rq_redis):
    """The settings OPSDESK_TASKS_BACKEND=rq gives, with the queue on the tests' Redis."""
    settings.RQ_QUEUES = {"default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 600}}
    settings.TASKS = {"default": {"BACKEND": RQ_BACKEND, "QUEUES": ["default"]}}
    backend = task_backends["default"]
    assert isinstance(backend, RQBackend)
    return backend


@pytest.fixture
def enqueued():
    """Every task result queued during the test, as django-tasks reports it."""
    results = []

    def record(sender, task_result, **kwargs):
        results.append(task_result)

    task_enqueued.connect(record)
    yield results
    task_enqueued.disconnect(record)


def run_worker() -> None:
    """What `manage.py rqworker --job-class django_tasks_rq.Job --with-scheduler --burst`
    does, in this process: run every queued job, then return."""
    worker = django_rq.get_worker("default", job_class="django_tasks_rq.Job",
                                  worker_class=SimpleWorker)
    handlers = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        worker.work(burst=True, with_scheduler=True, logging_level="WARNING")
    finally:  # the worker takes over Ctrl-C and SIGTERM; give them back to pytest
        for number, handler in handlers.items():
            signal.signal(number, handler)


def statuses(backend, results) -> dict:
    return {r.task.name: backend.get_result(r.id).status for r in results}


@pytest.mark.django_db(transaction=True)
def test_the_rq_worker_prunes_expired_idempotency_keys(reference_data, org, rq_backend):
    IdempotencyKey.objects.create(user=org.desk, key="old", request_digest="x",
                                  created_at=timezone.now() - timedelta(hours=30))
    IdempotencyKey.objects.create(user=org.desk, key="fresh", request_digest="y")
    result = idempotency_keys_prune.enqueue()
    assert rq_backend.get_result(result.id).status == "READY"
    assert not DBTaskResult.objects.exists()  # queued in Redis, not in the database
    run_worker()
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["fresh"]
    done = rq_backend.get_result(result.id)
    assert done.status == "SUCCESSFUL" and done.return_value == 1
    assert done.worker_ids  # an RQ worker ran it


@pytest.mark.django_db(transaction=True)
def test_the_sla_tick_on_rq_records_a_due_breach_and_its_notifications_are_sent(
        reference_data, org, rq_backend, enqueued):
    # P1 (7×24): the response is due 15 min after logging, so 30 min later it has breached.
    incident = logged(org, priority=1, when=timezone.now() - timedelta(minutes=30))
    result = sla_tick.enqueue()
    run_worker()
    done = rq_backend.get_result(result.id)
    assert done.status == "SUCCESSFUL", done.errors
    assert done.return_value["response_breach"] == 1
    crossings = set(incident.events.filter(kind=EventKind.SLA, data__clock="response")
                    .values_list("data__clock", "data__crossing"))
    assert crossings == {("response", "warning_first"), ("response", "warning_second"),
                         ("response", "breach")}
    incident.refresh_from_db()
    assert incident.response_breached
    # The notifications the tick (and the logging) queued went through RQ's worker as well.
    passes = [r for r in enqueued if r.task.name == "deliveries_send"]
    assert passes and set(statuses(rq_backend, passes).values()) == {"SUCCESSFUL"}
    assert Delivery.objects.exists()
    assert not Delivery.objects.filter(status="pending").exists()


@pytest.mark.django_db(transaction=True)
def test_a_notification_pass_queued_to_run_later_is_run_by_the_worker_s_scheduler(
        reference_data, rq_backend):
    result = deliveries_send.using(run_after=timezone.now() + timedelta(hours=1)).enqueue()
    run_worker()  # not due yet: it waits in RQ's scheduled registry
    assert rq_backend.get_result(result.id).status == "READY"
    queue = django_rq.get_queue("default", job_class=Job)
    job = Job.fetch(result.id, connection=queue.connection)
    queue.scheduled_job_registry.schedule(job, timezone.now() - timedelta(seconds=1))  # due now
    run_worker()
    done = rq_backend.get_result(result.id)
    assert done.status == "SUCCESSFUL" and done.return_value["sent"] == 0


@pytest.mark.django_db(transaction=True)
def test_the_periodic_loop_enqueues_to_rq_and_the_worker_runs_every_task(
        reference_data, rq_backend, enqueued):
    periodic_loop(once=True)
    assert {r.task.module_path for r in enqueued} == {
        "opsdesk.sla.tasks.sla_tick", "opsdesk.notifications.tasks.deliveries_send",
        "opsdesk.intake.tasks.mailboxes_poll",
        "opsdesk.intake.tasks_alerts.alert_payloads_sweep_task",
        "opsdesk.incidents.tasks.creation_follow_ups_sweep",
        "opsdesk.major.tasks.major_cadence_tick", "opsdesk.problems.tasks.problem_candidates_scan",
        "opsdesk.surveys.tasks.survey_tick", "opsdesk.measures.tasks.kpi_rollup_tick",
        "opsdesk.reporting.tasks.report_schedule_tick",
        "opsdesk.core.periodic.task_results_prune", "opsdesk.accounts.tasks.user_sessions_prune"}
    run_worker()
    assert set(statuses(rq_backend, enqueued).values()) == {"SUCCESSFUL"}
    assert not DBTaskResult.objects.exists()  # pruning is for database results only


def test_opsdesk_up_starts_the_rq_worker_and_it_runs_tasks(rq_backend, tmp_path):
    argv = _worker_argv()
    assert argv[argv.index("manage") + 1:] == [
        "rqworker", "--job-class", "django_tasks_rq.Job", "--with-scheduler", "default"]
    from opsdesk.core.periodic import task_results_prune  # touches no database under RQ

    result = task_results_prune.enqueue()
    environment = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    environment.update(OPSDESK_TASKS_BACKEND="rq", REDIS_URL=REDIS_URL,
                       OPSDESK_DATA_DIR=str(tmp_path))
    finished = subprocess.run([*argv, "--burst"], check=False, cwd=ROOT, env=environment,
                              capture_output=True, text=True, timeout=120)
    assert finished.returncode == 0, finished.stdout + finished.stderr
    assert rq_backend.get_result(result.id).status == "SUCCESSFUL"


def test_the_database_worker_stays_the_default():
    assert django_settings.TASKS["default"]["BACKEND"] == "django_tasks_db.DatabaseBackend"
    argv = _worker_argv()
    assert argv[argv.index("manage") + 1:] == ["db_worker", "--queue-name", "*", "--no-reload"]


def _check(env: dict) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items()
                   if k not in {"DATABASE_URL", "REDIS_URL", "OPSDESK_TASKS_BACKEND"}}
    environment.update(env)
    return subprocess.run([sys.executable, "manage.py", "check", "--fail-level", "WARNING"],
                          check=False, cwd=ROOT, env=environment, capture_output=True, text=True,
                          timeout=120)


@pytest.mark.parametrize("name", ["rq", "django_tasks_rq.RQBackend"])
def test_rq_settings_pass_django_s_checks(name, tmp_path):
    result = _check({"OPSDESK_TASKS_BACKEND": name, "REDIS_URL": REDIS_URL,
                     "OPSDESK_DATA_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_rq_without_redis_url_is_refused_clearly(tmp_path):
    result = _check({"OPSDESK_TASKS_BACKEND": "rq", "OPSDESK_DATA_DIR": str(tmp_path)})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and "set REDIS_URL" in result.stderr
