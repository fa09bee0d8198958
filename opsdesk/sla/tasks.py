"""Background work of the SLA app, run by the django-tasks database worker."""

from django_tasks import task

from .tick import sla_tick_run


@task()
def sla_tick() -> dict:
    """Record the SLA warnings, breaches, escalations and auto-close steps that fell due.

    Enqueued every 30 s by `manage.py sla_scheduler` (a child of `opsdesk up`); idempotent
    and safe with several workers (see tick.py).
    """
    return dict(sla_tick_run())
