"""Scale-out (issue 9): bench/scaleout.py with a small load, in CI.

Two gunicorn instances, two db_workers and the periodic loop run as processes of their own on
this test's database, with one shared Redis; a client sends API creates with Idempotency-Keys
(each key twice, to both instances), an alert storm and signed-in page views to the two
instances in turn. Every check of the script must hold: nothing duplicated, nothing lost.
On PostgreSQL this is the deployment docs/deploy.md describes; the SQLite and MariaDB runs of
CI check the same on their database.
"""

from urllib.parse import quote

import pytest
from django.db import connection

from bench import scaleout


def _database_url() -> str:
    """The DATABASE_URL of the test database this process uses (test_…, per xdist worker)."""
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    scheme = {"postgresql": "postgres", "mysql": "mysql"}[connection.vendor]
    login = quote(settings["USER"] or "", safe="")
    if settings["PASSWORD"]:
        login += ":" + quote(settings["PASSWORD"], safe="")
    return f"{scheme}://{login}@{settings['HOST']}:{settings['PORT']}/{settings['NAME']}"


@pytest.fixture
def cluster_env(monkeypatch):
    """What the subprocesses read: this test's database, a Redis of their own, db_worker."""
    monkeypatch.setenv("DATABASE_URL", _database_url())
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/13")
    monkeypatch.setenv("OPSDESK_TASKS_BACKEND", "database")
    monkeypatch.setenv("LOG_LEVEL", "WARNING")
    for name in ("EMAIL_HOST", "EMAIL_PORT", "EMAIL_BACKEND"):
        monkeypatch.setenv(name, "")  # scaleout_run points them at its SMTP server; undone after


def test_two_web_instances_and_two_workers_lose_and_duplicate_nothing(reference_data,
                                                                      cluster_env):
    options = scaleout.Options(creates=30, alerts=150, fingerprints=15, repeats=10, pages=40,
                               clients=4, web=2, workers=2, threads=2, timeout=60)
    lines = scaleout.scaleout_run(options)
    assert lines[0].startswith("load:")
    checks = lines[1:]
    assert len(checks) >= 15, lines
    assert all(line.startswith("ok ") for line in checks), "\n".join(lines)
