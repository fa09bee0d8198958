"""Fault: PostgreSQL restarts (a crash, then a fast restart) while the API is under load.

The shared PostgreSQL serves the other tests, so this test starts its own cluster
(core/testing/pgcluster.py), copies this run's migrated test database into it (pg_dump; a
migration from nothing takes minutes on a busy CI machine), runs `migrate` and loads the
reference data there as `opsdesk up` does, and serves it with gunicorn as in production.
Eight client threads log incidents through the API, each with an Idempotency-Key, and read
each one back. Mid-load the cluster is restarted twice: `immediate`
(the server processes die and the WAL is replayed) and `fast`. What must hold:

- every answer is a success or a clear, retryable error: 503 with Retry-After and the API's
  JSON error body, never a 500 or an HTML page;
- a client that retries with the same Idempotency-Key ends with exactly one incident;
- every incident acknowledged with 201 and a number is in the database afterwards, and
  there are no others (no duplicate from a retry);
- the server recovers by itself: right after the load, requests succeed again.

PostgreSQL only: the fault is the PostgreSQL server going away (the SQLite and MariaDB runs
deselect it; see conftest.py).
"""

import subprocess
import sys
import threading
import time
import uuid
from collections import Counter

import psycopg
import pytest

from opsdesk.core.testing.pgcluster import PgCluster

from .report import record
from .support import (ROOT, Gunicorn, current_database_url, http, in_threads,
                      subprocess_env)

pytestmark = pytest.mark.postgres_only("the fault is a PostgreSQL server restart")

OPERATIONS = 240
THREADS = 8
MAX_TRIES = 60
SETUP = """
from django.core.management import call_command
from opsdesk.accounts.models import User
from opsdesk.accounts.services import api_token_create
from opsdesk.reference.services import reference_load_defaults
call_command("migrate", interactive=False, verbosity=0)
reference_load_defaults()
desk = User.objects.create_user("load-desk", "load-desk@example.com", is_service_desk=True)
User.objects.create_user("load-user", "load-user@example.com")
print(api_token_create(user=desk, name="load")[1])
"""


def _prepare(url: str) -> str:
    """Migrate the database and load the reference data (as `opsdesk up` does); a desk agent
    and their API token (returned)."""
    done = subprocess.run([sys.executable, "manage.py", "shell", "-c", SETUP],
                          env=subprocess_env(database=url), capture_output=True, text=True,
                          timeout=600, check=False, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip().splitlines()[-1]


class Load:
    """The clients: log an incident (retrying with the same key), then read it back."""

    def __init__(self, url: str, token: str):
        self.url = f"{url}/api/v1/incidents"
        self.headers = {"Authorization": f"Bearer {token}"}
        self.answers = Counter()
        self.bad = []  # answers that are neither a success nor a clear retryable error
        self.acknowledged = {}  # Idempotency-Key -> number
        self.lock = threading.Lock()

    def one(self, n: int) -> None:
        key = str(uuid.uuid4())
        body = {"short_description": f"Load {n}: VPN down", "requester": "load-user",
                "impact": 3, "urgency": 3}
        answer = self._until_done("POST", self.url, body, {"Idempotency-Key": key})
        if answer is not None and answer.status == 201:
            with self.lock:
                self.acknowledged[key] = answer.json["number"]
            self._until_done("GET", f"{self.url}/{answer.json['number']}", None, {})

    def _until_done(self, method, url, body, headers):
        for _try in range(MAX_TRIES):
            answer = http(method, url, body=body, headers={**self.headers, **headers})
            with self.lock:
                self.answers[method, answer.status] += 1
            if answer.status in (200, 201):
                return answer
            if not self._retryable(answer):
                with self.lock:
                    self.bad.append((method, answer.status, answer.body[:300], answer.error))
                return None
            time.sleep(1)  # Retry-After says 5 s; a test client may try sooner
        with self.lock:
            self.bad.append((method, "gave up", url))
        return None

    @staticmethod
    def _retryable(answer) -> bool:
        """503 with Retry-After and the JSON error body, or no answer (connection refused)."""
        if answer.status == 0:
            return True
        return (answer.status == 503 and answer.headers.get("Retry-After", "").isdigit()
                and answer.headers.get("Content-Type", "").startswith("application/json")
                and "detail" in answer.json)


def _restarts(cluster: PgCluster, load: Load, log: list) -> None:
    """Restart the cluster at a third of the load (a crash) and at two thirds (fast)."""
    for share, mode in ((1 / 3, "immediate"), (2 / 3, "fast")):
        while len(load.acknowledged) < OPERATIONS * share:
            time.sleep(0.05)
        started = time.monotonic()
        cluster.restart(mode=mode)
        log.append((mode, len(load.acknowledged), round(time.monotonic() - started, 1)))


def test_a_postgres_restart_under_api_load_loses_no_acknowledged_write(django_db_setup):
    with PgCluster() as cluster:
        url = cluster.copy_database(current_database_url(), "opsdesk")
        token = _prepare(url)
        with Gunicorn(env=subprocess_env(database=url, DATABASE_CONN_MAX_AGE="60")) as server:
            load = Load(server.url, token)
            restarts = []
            restarter = threading.Thread(target=_restarts, args=(cluster, load, restarts))
            started = time.monotonic()
            restarter.start()
            in_threads(load.one, range(OPERATIONS), threads=THREADS)
            restarter.join(timeout=120)
            elapsed = time.monotonic() - started
            # Recovered by itself: the next requests all succeed at once.
            after = in_threads(lambda _n: http("GET", f"{load.url}?limit=5",
                                               headers=load.headers).status, range(20))
            log_tail = server.processes.log_tail()
        with psycopg.connect(url) as connection:
            stored = dict(connection.execute(
                "SELECT number, id FROM incidents_incident").fetchall())
            keys = connection.execute(
                "SELECT count(*), count(DISTINCT incident_id) FROM incidents_idempotencykey"
            ).fetchone()
    assert len(restarts) == 2, restarts
    assert not load.bad, load.bad[:5]
    assert set(after) == {200}, (after, log_tail)
    acknowledged = set(load.acknowledged.values())
    assert len(load.acknowledged) == OPERATIONS and len(acknowledged) == OPERATIONS
    assert acknowledged <= set(stored), acknowledged - set(stored)
    assert len(stored) == OPERATIONS  # no incident twice because a retry came after a commit
    assert keys == (OPERATIONS, OPERATIONS)
    assert load.answers["POST", 500] == load.answers["GET", 500] == 0
    record("postgres_restart", {
        "operations": OPERATIONS, "threads": THREADS, "restarts": restarts,
        "answers": {f"{m} {s}": n for (m, s), n in sorted(load.answers.items())},
        "acknowledged": len(acknowledged), "stored": len(stored),
        "seconds": round(elapsed, 1)})
