"""Reports read from a real PostgreSQL streaming replica (core/dbrouter.py).

A private primary and its hot standby (core/testing/pgcluster.py: pg_basebackup -R, streaming
replication, hot_standby on) on free loopback ports, whatever database this run of the suite
uses, so this runs in all three CI runs. On the PostgreSQL run the primary starts as a copy of
this run's migrated test database; elsewhere it is migrated from nothing (a minute or two).

opsdesk runs as a deployment runs it, in a process of its own (replica_driver.py) with
DATABASE_URL on the primary and OPSDESK_REPORTS_DATABASE_URL on the standby. The standby's
replay is paused and two incidents are logged on the primary, so the two databases tell
different stories: a report that shows three incidents read the replica, one that shows five
read the primary. What must hold:

- the KPI pages, dashboards, the process analysis and the exports read the replica and read
  nothing but the sign-in and audit tables on the primary; the incident page reads only the
  primary;
- writes, even inside a reporting scope, go to the primary (the standby refuses writes);
- an export's audit event is on the primary; a scheduled report is made from the replica and its
  run recorded on the primary;
- with the standby stopped, every report page still answers 200, read from the primary.

One test, so that one process makes the two clusters (xdist would split two tests).
"""

import json
import os
import subprocess
import sys

import pytest

from opsdesk.core.testing.pgcluster import PgCluster
from opsdesk.core.tests.faults.support import ROOT, current_database_url, is_postgres

REPORT_PAGES = ("measures", "process", "operations", "analysis", "kpi_export", "export")


def drive(step: str, primary: PgCluster, replica: PgCluster | None = None) -> dict:
    """One step of replica_driver.py in opsdesk configured with the primary and the replica."""
    env = {k: v for k, v in os.environ.items()
           if k not in {"REDIS_URL", "OPSDESK_TASKS_BACKEND", "OPSDESK_REPORTS_DATABASE_URL"}}
    env.update(DJANGO_SETTINGS_MODULE="config.settings", PYTHONUNBUFFERED="1",
               LOG_LEVEL="ERROR", DATABASE_URL=primary.url("opsdesk"),
               EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend")
    if replica is not None:
        env["OPSDESK_REPORTS_DATABASE_URL"] = replica.url("opsdesk")
    done = subprocess.run([sys.executable, "-m", "opsdesk.reporting.tests.replica_driver", step],
                          env=env, cwd=ROOT, capture_output=True, text=True, timeout=900,
                          check=False)
    assert done.returncode == 0, done.stderr[-4000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture
def clusters(request):
    """(primary, replica, setup answer): opsdesk set up on the primary, then the standby."""
    with PgCluster() as primary:
        if is_postgres():
            request.getfixturevalue("django_db_setup")
            with request.getfixturevalue("django_db_blocker").unblock():
                primary.copy_database(current_database_url(), "opsdesk")
        else:
            primary.create_database("opsdesk")
        made = drive("setup", primary)
        with primary.standby() as replica:  # a base backup that holds the setup
            replica.wait_for_replay()
            yield primary, replica, made


def count(cluster: PgCluster, sql: str) -> int:
    return cluster.query(sql, "opsdesk")[0]


def test_reports_read_the_replica_and_the_primary_when_it_is_down(clusters):
    primary, replica, made = clusters
    incidents = "SELECT count(*) FROM incidents_incident"
    exports = "SELECT count(*) FROM audit_auditevent WHERE kind = 'export'"
    assert made["incidents"] == 3 and count(replica, incidents) == 3
    assert replica.query("SELECT pg_is_in_recovery()")[0] is True

    # The standby stops applying changes: it has three incidents, the primary gets five.
    replica.replay_pause()
    written = drive("write", primary, replica)
    assert written["scope"] == "reports"  # the scope was on the replica, the writes were not
    assert count(primary, incidents) == 5 and count(replica, incidents) == 3

    seen = drive("report", primary, replica)
    for page in REPORT_PAGES:
        assert seen[page]["status"] == 200, (page, seen[page])
        assert seen[page]["replica_queries"] > 0, page
        assert seen[page]["default_tables"] == [], (page, seen[page]["default_tables"])
    assert seen["export"]["rows"] == 3  # the replica's figure
    page = seen["incident_page"]
    assert page["status"] == 200 and page["replica_queries"] == 0
    assert "incidents_incident" in page["default_tables"]
    # The exports' audit events are on the primary only.
    assert count(primary, exports) >= 2 and count(replica, exports) == 0
    run = seen["run"]
    assert run["status"] == "sent" and run["rows"] == 3, run  # made from the replica
    recorded = f"SELECT count(*) FROM reporting_reportrun WHERE id = {run['pk']}"
    assert count(primary, recorded) == 1 and count(replica, recorded) == 0

    replica.replay_resume()
    replica.wait_for_replay()
    assert drive("report", primary, replica)["export"]["rows"] == 5  # caught up

    # The standby goes away: the same reports answer, read from the primary.
    replica.stop(mode="fast")
    down = drive("report-replica-down", primary, replica)
    for page in (*REPORT_PAGES, "incident_page"):
        assert down[page]["status"] == 200, (page, down[page])
    assert down["export"]["rows"] == 5
    assert down["run"]["status"] == "sent" and down["run"]["rows"] == 5, down["run"]
