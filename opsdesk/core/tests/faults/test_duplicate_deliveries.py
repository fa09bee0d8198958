"""Fault: the same webhook, or the same API request, arrives many times at once.

Monitoring tools resend when an answer is slow, and a proxy may retry as well. Real payloads
from /work/shared/fixtures (an Alertmanager group of three alerts, a Datadog monitor) are
POSTed N times each by concurrent threads to a live gunicorn, and two real db_workers process
them concurrently; afterwards there are exactly the alerts and incidents one delivery gives.
An API client retrying one incident creation with one Idempotency-Key from many threads at
once gets one incident, and the same number in every answer.

Runs on every database: each has its own locking, and the unique indexes decide on each.
"""

import json
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest

from opsdesk.accounts.services import api_token_create
from opsdesk.incidents.models import IdempotencyKey, Incident
from opsdesk.intake.models import Alert, AlertIntegration, AlertPayload
from opsdesk.intake.services.payloads import payloads_sweep

from .report import record
from .support import (Gunicorn, Processes, db_worker_argv, http, in_threads, subprocess_env,
                      wait_for)

# Public payloads from other projects live outside the repository (../shared/fixtures).
FIXTURES = Path(__file__).resolve().parents[4].parent / "shared" / "fixtures" / "alerts"
COPIES = 60
THREADS = 8
# fixture, integration kind, alerts and incidents one delivery gives
PAYLOADS = [("alertmanager_v4_firing_3_alerts_oncall.json", "alertmanager", 3, 1),
            ("datadog_webhook_triggered.json", "datadog", 1, 1)]


def _fixture(name: str) -> bytes:
    path = FIXTURES / name
    assert path.is_file(), f"no {name} in {FIXTURES} (the shared fixtures sit beside the repo)"
    return path.read_bytes()


@pytest.mark.django_db(transaction=True)
def test_concurrent_duplicate_webhooks_give_the_alerts_and_incidents_of_one(reference_data):
    targets = []
    for name, kind, alerts, incidents in PAYLOADS:
        integration = AlertIntegration(name=kind, kind=kind)
        token = integration.token_new()
        integration.save()
        targets.append((integration, token, _fixture(name), alerts, incidents))
    env = subprocess_env()
    workers = Processes("db-worker")
    started = time.monotonic()
    try:
        for _ in range(2):
            workers.start(db_worker_argv(), env)
        with Gunicorn(env=env) as server:
            posts = [(f"{server.url}/api/v1/intake/alerts/{token}", body)
                     for _integration, token, body, _a, _i in targets for _n in range(COPIES)]
            answers = in_threads(lambda post: http("POST", post[0], body=post[1]).status, posts,
                                 threads=THREADS)
        assert Counter(answers) == {202: len(posts)}, Counter(answers)
        wait_for(lambda: not AlertPayload.objects.filter(state="pending").exists(),
                 timeout=120, what="the workers to process every payload")
    finally:
        workers.stop()
    assert payloads_sweep() == 0  # nothing left behind for the periodic sweep
    for integration, _token, _body, alerts, incidents in targets:
        payloads = AlertPayload.objects.filter(integration=integration)
        assert payloads.count() == COPIES and set(payloads.values_list("state", flat=True)) \
            == {"processed"}, Counter(payloads.values_list("state", flat=True))
        stored = Alert.objects.filter(integration=integration)
        assert stored.count() == alerts, list(stored.values("fingerprint", "status"))
        assert set(stored.values_list("deliveries", flat=True)) == {COPIES}  # every copy seen
        assert stored.exclude(incident=None).values("incident").distinct().count() == incidents
    assert Incident.objects.count() == sum(t[4] for t in targets)
    record("duplicate_webhooks", {"posts": len(posts), "threads": THREADS, "workers": 2,
                                  "alerts": Alert.objects.count(),
                                  "incidents": Incident.objects.count(),
                                  "seconds": round(time.monotonic() - started, 1)})


@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_with_one_idempotency_key_give_one_incident(reference_data, org):
    _token, secret = api_token_create(user=org.desk, name="retries")
    body = {"short_description": "Mail server down", "requester": "requester", "impact": 2,
            "urgency": 2}
    keys = [str(uuid.uuid4()) for _ in range(5)]
    with Gunicorn(env=subprocess_env()) as server:
        def create(key):
            return http("POST", f"{server.url}/api/v1/incidents", body=body, headers={
                "Authorization": f"Bearer {secret}", "Idempotency-Key": key})
        answers = in_threads(create, [key for key in keys for _ in range(12)], threads=THREADS)
        # The same key for a different body is refused, not answered with the first incident.
        other = http("POST", f"{server.url}/api/v1/incidents", body={**body, "impact": 4},
                     headers={"Authorization": f"Bearer {secret}", "Idempotency-Key": keys[0]})
    assert Counter(a.status for a in answers) == {201: len(answers)}, \
        [a.body[:200] for a in answers if a.status != 201][:3]
    numbers = Counter(json.loads(a.body)["number"] for a in answers)
    assert len(numbers) == len(keys) and set(numbers.values()) == {12}
    assert Incident.objects.count() == len(keys)
    assert IdempotencyKey.objects.count() == len(keys)
    assert other.status == 422 and "Idempotency-Key" in other.json["errors"]
    record("idempotent_retries", {"requests": len(answers), "keys": len(keys),
                                  "threads": THREADS, "incidents": Incident.objects.count()})
