"""Background work of the problems app."""

from django_tasks import task

from .services import candidates_scan


@task()
def problem_candidates_scan() -> int:
    """The periodic scan for recurring incidents (it runs at most every ten minutes, and one at
    a time: see services.candidates_scan); returns how many candidates it created or grew."""
    report = candidates_scan()
    return report.created + report.updated
