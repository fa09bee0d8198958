"""Background work of the notifications app, run by the django-tasks database worker."""

from django_tasks import task

from .sending import deliveries_send_due


@task()
def deliveries_send(limit: int = 500) -> dict:
    """Send every due delivery (one pass); if some failed, queue a pass for the first retry.

    Queued after an enqueue's commit (unless a pass already waits to start) and meant to run
    every 30 s as well (the periodic pass
    also takes back deliveries whose worker was lost). Safe to run on several workers at once:
    each delivery is claimed by one of them (see sending.py).
    """
    report = deliveries_send_due(limit=limit)
    if report.taken >= limit:  # more may be due: a backlog drains pass after pass
        deliveries_send.enqueue()
    elif report.next_retry_at is not None:
        deliveries_send.using(run_after=report.next_retry_at).enqueue()
    return report.as_dict()
