"""What test_replica.py runs inside opsdesk, as a process of its own with DATABASE_URL on the
private primary and OPSDESK_REPORTS_DATABASE_URL on its hot standby (the way a deployment
configures them): `python -m opsdesk.reporting.tests.replica_driver <step>`.

Each step prints one line of JSON, what the test checks:

- setup: migrate, the reference data, a process owner (who is also on the desk), three
  incidents and a scheduled incident list;
- write: two more incidents, logged inside a reporting scope (writes must still go to the
  primary: the standby would refuse them);
- report: as the process owner, the KPI pages, the dashboards, the process analysis, an export
  and the incident page, with the queries each made on each alias, the export's rows, and
  the scheduled report sent now.
"""

import csv
import io
import json
import os
import re
import sys

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connections  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from opsdesk.accounts.models import User  # noqa: E402
from opsdesk.core.dbrouter import REPORTS, reporting_reads  # noqa: E402
from opsdesk.core.testing.factories import UserFactory, incident_factory  # noqa: E402
from opsdesk.incidents.models import Incident  # noqa: E402
from opsdesk.reference.services import reference_load_defaults  # noqa: E402
from opsdesk.reporting import runs, schedules  # noqa: E402
from opsdesk.reporting.models import ReportSchedule  # noqa: E402

PAGES = {"measures": "/measures/", "process": "/dashboards/process/",
         "operations": "/dashboards/operations/", "analysis": "/analysis/",
         "kpi_export": "/reports/export/kpis.csv"}
# Tables a report page may use on default: the signed-in person and their session, the
# sign-in factors, the audit log. Any other table on default: a report read the primary.
SIGN_IN_TABLES = ("django_session", "accounts_user", "otp_", "mfa_", "audit_",
                  "django_content_type", "axes_")


def setup() -> dict:
    call_command("migrate", interactive=False, verbosity=0)
    reference_load_defaults()
    owner = UserFactory(username="replica-owner", is_process_owner=True, is_service_desk=True,
                        is_incident_manager=True)
    requester = UserFactory(username="replica-requester")
    for n in range(3):
        incident_factory(by=owner, requester=requester, short_description=f"Before pause {n}")
    schedule = schedules.schedule_create(by=owner, data={
        "name": "Replica list", "kind": "incident_list", "frequency": "daily", "hour": 8,
        "language": "en", "format": "csv", "recipients": ["replica-owner"]})
    return {"schedule": schedule.pk, "incidents": Incident.objects.count()}


def write() -> dict:
    owner = User.objects.get(username="replica-owner")
    requester = User.objects.get(username="replica-requester")
    with reporting_reads() as alias:
        numbers = [incident_factory(by=owner, requester=requester,
                                    short_description=f"After pause {n}").number
                   for n in range(2)]
    return {"scope": alias, "numbers": numbers}


def report(replica_up: bool) -> dict:
    owner = User.objects.get(username="replica-owner")
    browser = Client(headers={"Accept-Language": "en"})
    browser.force_login(owner)
    result = {page: _get(browser, url, replica_up) for page, url in PAGES.items()}
    export = _get(browser, "/reports/export/incidents.csv?queue=all", replica_up, rows=True)
    result["export"] = export
    number = Incident.objects.order_by("pk").values_list("number", flat=True).first()
    result["incident_page"] = _get(browser, f"/incidents/{number}/", replica_up)
    schedule = ReportSchedule.objects.get(name="Replica list")
    run = runs.schedule_send_now(schedule=schedule, by=owner)
    result["run"] = {"pk": run.pk, "status": run.status, "rows": run.rows, "error": run.error}
    return result


def _get(browser, url: str, replica_up: bool, rows: bool = False) -> dict:
    """One page: status, the tables read on default, the number of queries on the replica."""
    captures = {"default": CaptureQueriesContext(connections["default"])}
    if replica_up:  # capturing connects, which a stopped replica refuses
        captures[REPORTS] = CaptureQueriesContext(connections[REPORTS])
    for capture in captures.values():
        capture.__enter__()
    try:
        response = browser.get(url)
        body = (b"".join(response.streaming_content) if response.streaming
                else response.content)
    finally:
        for capture in captures.values():
            capture.__exit__(None, None, None)
    read_on_default = {table for query in captures["default"].captured_queries
                       for table in _tables(query["sql"])}
    answer = {"status": response.status_code,
              "default_tables": sorted(t for t in read_on_default
                                       if not t.startswith(SIGN_IN_TABLES)),
              "replica_queries": len(captures[REPORTS]) if REPORTS in captures else 0}
    if rows:
        answer["rows"] = len(list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))) - 1
    return answer


def _tables(sql: str) -> set[str]:
    return set(re.findall(r'(?:FROM|JOIN|INTO|UPDATE)\s+"(\w+)"', sql))


if __name__ == "__main__":
    step = sys.argv[1]
    found = {"setup": setup, "write": write,
             "report": lambda: report(replica_up=True),
             "report-replica-down": lambda: report(replica_up=False)}[step]()
    print(json.dumps(found, default=str))
