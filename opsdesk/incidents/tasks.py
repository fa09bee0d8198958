"""Background work of the incidents app, run by the django-tasks database worker."""

from datetime import timedelta

from django.utils import timezone
from django_tasks import task

from .models import IdempotencyKey

IDEMPOTENCY_KEY_LIFETIME = timedelta(hours=24)


@task()
def idempotency_keys_prune(older_than_hours: int = 24) -> int:
    """Forget idempotency keys older than the retry window; return how many were removed.

    Idempotent and safe to run from several workers at once: each run deletes what is expired.
    """
    cutoff = timezone.now() - timedelta(hours=older_than_hours)
    deleted, _per_model = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted


@task()
def creation_follow_ups_sweep() -> int:
    """Send the mails and run the create hooks of incidents whose request failed or died right
    after the incident was logged (see services.records.incident_create); return how many."""
    from .services.records import creation_follow_ups_run

    return creation_follow_ups_run()
