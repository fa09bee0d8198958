"""The periodic loop enqueues the SLA tick and a notification pass every round, and prunes old
task results once an hour; the worker then runs them."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from opsdesk.core.periodic import PRUNE_EVERY, periodic_loop, periodic_tasks

PATHS = {"opsdesk.sla.tasks.sla_tick", "opsdesk.notifications.tasks.deliveries_send",
         "opsdesk.intake.tasks.mailboxes_poll",
         "opsdesk.intake.tasks_alerts.alert_payloads_sweep_task",
         "opsdesk.incidents.tasks.creation_follow_ups_sweep",
         "opsdesk.major.tasks.major_cadence_tick", "opsdesk.problems.tasks.problem_candidates_scan",
         "opsdesk.surveys.tasks.survey_tick", "opsdesk.reporting.tasks.report_schedule_tick",
         "opsdesk.measures.tasks.kpi_rollup_tick"}
HOURLY = {"opsdesk.core.periodic.task_results_prune", "opsdesk.accounts.tasks.user_sessions_prune"}


def test_each_round_runs_the_tick_and_a_notification_pass_and_hourly_the_pruning():
    names = lambda n: {t.module_path for t in periodic_tasks(n)}  # noqa: E731
    assert names(1) == PATHS
    assert names(0) == names(PRUNE_EVERY) == PATHS | HOURLY


@pytest.mark.django_db(transaction=True)
def test_one_round_enqueues_them_and_the_worker_runs_them():
    periodic_loop(once=True)
    queued = set(DBTaskResult.objects.values_list("task_path", flat=True))
    assert queued == PATHS | HOURLY
    call_command("db_worker", "--batch", "--no-startup-delay", "--queue-name", "*", verbosity=0)
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {"SUCCESSFUL"}


@pytest.mark.django_db(transaction=True)
def test_pruning_forgets_finished_results_older_than_a_day(time_machine):
    time_machine.move_to(timezone.now() - timedelta(days=3))
    periodic_loop(once=True)
    call_command("db_worker", "--batch", "--no-startup-delay", "--queue-name", "*", verbosity=0)
    assert DBTaskResult.objects.filter(status="SUCCESSFUL").count() == len(PATHS | HOURLY)
    time_machine.move_to(timezone.now() + timedelta(days=3))
    from opsdesk.core.periodic import task_results_prune

    task_results_prune.call()
    assert DBTaskResult.objects.count() == 0
