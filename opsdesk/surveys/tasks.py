"""The survey tick: invitations that fell due, forms left open, surveys that expired."""

from django_tasks import task

from .services import surveys_tick


@task()
def survey_tick() -> dict:
    """The periodic entry point (core/periodic.py enqueues it every 30 s)."""
    return surveys_tick()
