"""Background tasks go through the Django Tasks API and the database worker."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from opsdesk.incidents.models import IdempotencyKey
from opsdesk.incidents.tasks import idempotency_keys_prune


@pytest.mark.django_db(transaction=True)
def test_worker_prunes_expired_idempotency_keys(reference_data, org):
    IdempotencyKey.objects.create(user=org.desk, key="old", request_digest="x",
                                  created_at=timezone.now() - timedelta(hours=30))
    IdempotencyKey.objects.create(user=org.desk, key="fresh", request_digest="y")
    result = idempotency_keys_prune.enqueue()
    assert DBTaskResult.objects.filter(id=result.id, status="READY").exists()
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["fresh"]
    assert DBTaskResult.objects.get(id=result.id).status == "SUCCESSFUL"
