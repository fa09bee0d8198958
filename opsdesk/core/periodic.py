"""The periodic work of opsdesk: django-tasks has no scheduler, so this loop enqueues it.

Every 30 s: the SLA tick (warnings, breaches, escalation, auto-close), a notification
pass (retries that fell due, deliveries whose worker died mid-send) and the mailbox poll (each
mailbox is polled when its own interval has passed), a sweep of alert payloads left
pending by a lost task, the follow-ups (mails, create hooks) of incidents whose creating
request failed or died after the commit, the reminders of major-incident updates that fall due, and the scan for
problem candidates (which itself runs at most every ten minutes), and the satisfaction surveys'
invitations, open forms and expiry, the scheduled reports that fell due, and the KPI rollup
(the days whose incidents changed, counted again). Every hour:
finished task results older than a day are pruned, so the task table does not grow by
thousands of rows a day, and so are the sessions list's rows of expired sessions.
`opsdesk up` runs the loop in a daemon thread; `manage.py sla_scheduler` runs it as a process.
Several loops are harmless: every task here is idempotent and safe with several workers.
"""

import logging
import time

from django.conf import settings
from django.core.management import call_command
from django.db import close_old_connections
from django_tasks import task

INTERVAL_SECONDS = 30
PRUNE_EVERY = 120  # intervals: once an hour at 30 s
logger = logging.getLogger(__name__)


@task()
def task_results_prune(min_age_days: int = 1) -> None:
    """Forget finished task results older than min_age_days (database backend only)."""
    if settings.TASKS["default"]["BACKEND"] == "django_tasks_db.DatabaseBackend":
        call_command("prune_db_task_results", queue_name="*", min_age_days=min_age_days,
                     verbosity=0)


def periodic_tasks(round_number: int) -> list:
    """The tasks due in this round of the loop (round 0 runs everything)."""
    from opsdesk.accounts.tasks import user_sessions_prune
    from opsdesk.incidents.tasks import creation_follow_ups_sweep
    from opsdesk.intake.tasks import mailboxes_poll
    from opsdesk.intake.tasks_alerts import alert_payloads_sweep_task
    from opsdesk.major.tasks import major_cadence_tick
    from opsdesk.measures.tasks import kpi_rollup_tick
    from opsdesk.notifications.tasks import deliveries_send
    from opsdesk.problems.tasks import problem_candidates_scan
    from opsdesk.reporting.tasks import report_schedule_tick
    from opsdesk.sla.tasks import sla_tick
    from opsdesk.surveys.tasks import survey_tick

    due = [sla_tick, deliveries_send, mailboxes_poll,  # each mailbox keeps its own interval
           alert_payloads_sweep_task,  # alert payloads a lost task left pending
           creation_follow_ups_sweep]  # mails and hooks of creations whose request died
    due += [major_cadence_tick,  # reminders of major-incident updates that fall due
            problem_candidates_scan]  # recurring incidents; it runs at most every ten minutes
    due.append(survey_tick)  # satisfaction surveys: invitations due, open forms, expiry
    due.append(report_schedule_tick)  # scheduled reports due, each once per period
    due.append(kpi_rollup_tick)  # KPI facts and daily rollup of the days marked dirty
    if round_number % PRUNE_EVERY == 0:
        due.append(task_results_prune)
        due.append(user_sessions_prune)  # rows of sessions past the idle or absolute limit
    return due


def periodic_loop(*, interval: float = INTERVAL_SECONDS, once: bool = False) -> None:
    """Enqueue the due tasks every `interval` seconds; a failed enqueue is logged and retried."""
    round_number = 0
    while True:
        started = time.monotonic()
        for periodic in periodic_tasks(round_number):
            try:
                periodic.enqueue()
            except Exception:  # the database may be restarting: try again next round
                logger.exception("Could not enqueue %s", periodic.name)
        close_old_connections()
        if once:
            return
        round_number += 1
        time.sleep(max(interval - (time.monotonic() - started), 0))

