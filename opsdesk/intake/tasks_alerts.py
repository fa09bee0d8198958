"""Background work of alert intake (Django Tasks API)."""

from django_tasks import task

from .services.payloads import QUEUED_MARK_SECONDS, integration_drain, payloads_sweep


@task()
def alert_integration_drain_task(integration_id: int) -> int:
    """Process an integration's pending payloads (queued when one is accepted)."""
    return integration_drain(integration_id=integration_id, settle=QUEUED_MARK_SECONDS)


@task()
def alert_payloads_sweep_task() -> int:
    """Drain pending payloads whose queued task was lost (periodic)."""
    return payloads_sweep()
