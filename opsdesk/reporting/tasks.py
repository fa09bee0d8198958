"""The scheduled reports' periodic entry point."""

from django_tasks import task

from .runs import report_schedules_tick


@task()
def report_schedule_tick() -> dict:
    """Send the scheduled reports that are due (core/periodic.py enqueues it every 30 s)."""
    return report_schedules_tick()
