"""The reporting router (core/dbrouter.py) on this run's own database (SQLite, PostgreSQL or
MariaDB): without a replica nothing changes; with a `reports` alias (here pointing at the same
test database, a replica without lag) report reads go to it and nothing else does; a replica
that does not answer leaves the reports on default. The real streaming replica is in
opsdesk/reporting/tests/test_replica.py."""

import copy
import csv
import io
import warnings

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connections, transaction
from django.db.utils import load_backend
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from opsdesk.accounts.services import api_token_create
from opsdesk.audit.models import AuditEvent, AuditKind
from opsdesk.core import dbrouter
from opsdesk.core.dbrouter import REPORTS, ReportingRouter, reporting_call, reporting_reads
from opsdesk.core.testing.factories import incident_factory
from opsdesk.incidents.models import Incident


def browser(user):
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(user)
    return client


def _alias(settings_dict: dict):
    """The `reports` alias as OPSDESK_REPORTS_DATABASE_URL makes it, for one test.

    The suite's settings have no such alias, and Django's test case refuses connections to an
    alias it did not set up; a connection made here, outside `connections`' own settings, is
    one it allows (as it allows any connection made at run time).
    """
    dbrouter.replica_retry_now()
    cache.clear()  # a report cached by an earlier test would read no database at all
    filled = connections.configure_settings(
        {"default": connections["default"].settings_dict, REPORTS: settings_dict})[REPORTS]
    wrapper = load_backend(filled["ENGINE"]).DatabaseWrapper(filled, REPORTS)
    setattr(connections._connections, REPORTS, wrapper)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "Overriding setting DATABASES ..."
            with override_settings(DATABASES={**settings.DATABASES, REPORTS: filled}):
                yield wrapper
    finally:
        wrapper.close()
        delattr(connections._connections, REPORTS)
        dbrouter.replica_retry_now()


@pytest.fixture
def replica(transactional_db, reference_data):
    """`reports` on the test database itself: what a second connection sees is committed."""
    yield from _alias(copy.deepcopy(connections["default"].settings_dict))


@pytest.fixture
def dead_replica(transactional_db, reference_data):
    """`reports` on a database that cannot be opened (a replica that is down)."""
    yield from _alias({"ENGINE": "django.db.backends.sqlite3",
                       "NAME": "/nonexistent-opsdesk-replica/opsdesk.sqlite3"})


@pytest.fixture
def logged(org):
    return [incident_factory(by=org.desk, requester=org.requester,
                             short_description=f"VPN down {n}") for n in range(3)]


def test_without_a_replica_the_router_changes_nothing(org, logged):
    router = ReportingRouter()
    assert REPORTS not in settings.DATABASES
    assert router.db_for_read(Incident) is None and router.db_for_write(Incident) is None
    assert router.allow_migrate("default", "incidents") is None
    with reporting_reads() as alias:
        assert alias is None
        assert Incident.objects.all().db == "default"
    response = browser(org.owner).get("/measures/")
    assert response.status_code == 200 and b"First-contact resolution" in response.content


def test_reads_in_a_reporting_scope_go_to_the_replica_writes_to_default(replica, org, logged):
    router = ReportingRouter()
    assert Incident.objects.all().db == "default"
    with reporting_reads() as alias:
        assert alias == REPORTS
        assert Incident.objects.all().db == REPORTS
        assert Incident.objects.select_for_update().db == "default"
        incident = Incident.objects.get(pk=logged[0].pk)
        assert incident._state.db == REPORTS
        with transaction.atomic():  # a read that is part of a write reads what it changes
            assert Incident.objects.all().db == "default"
        with CaptureQueriesContext(connections["default"]) as on_default:
            added = incident_factory(by=org.desk, requester=org.requester)
        assert added._state.db == "default" and on_default.captured_queries
    assert Incident.objects.all().db == "default"
    incident.short_description = "VPN down for everyone"
    with CaptureQueriesContext(connections["default"]) as on_default:
        incident.save(update_fields=["short_description"])  # read from the replica
    assert any("UPDATE" in q["sql"] for q in on_default.captured_queries)
    assert router.allow_migrate(REPORTS, "incidents") is False
    assert router.allow_migrate("default", "incidents") is None
    assert router.allow_relation(incident, org.desk) is True


def test_the_kpi_pages_read_the_replica_and_the_incident_page_does_not(replica, org, logged):
    person = browser(org.owner)
    for url in ("/measures/", "/measures/volume/", "/dashboards/process/", "/analysis/"):
        with CaptureQueriesContext(connections["default"]) as on_default, \
                CaptureQueriesContext(replica) as on_replica:
            assert person.get(url).status_code == 200, url
        assert on_replica.captured_queries, url
        assert not _report_reads(on_default), (url, _report_reads(on_default))
    with CaptureQueriesContext(replica) as on_replica:
        assert person.get(f"/incidents/{logged[0].number}/").status_code == 200
    assert not on_replica.captured_queries
    form = person.get("/measures/volume/")  # a form's POST is not a report: read default
    assert form.status_code == 200
    with CaptureQueriesContext(replica) as on_replica:
        saved = person.post("/measures/volume/target/", {"target": "50"})
    assert saved.status_code == 302 and not on_replica.captured_queries


def test_the_api_reports_read_the_replica(replica, org, logged):
    secret = api_token_create(user=org.owner, name="reports")[1]
    api = Client(headers={"Authorization": f"Bearer {secret}"})
    for url in ("/api/v1/measures/kpis", "/api/v1/analysis/summary",
                "/api/v1/reports/kpis?format=csv"):
        with CaptureQueriesContext(connections["default"]) as on_default, \
                CaptureQueriesContext(replica) as on_replica:
            response = api.get(url)
            if response.streaming:
                b"".join(response.streaming_content)
        assert response.status_code == 200, (url, response.content[:300])
        assert on_replica.captured_queries, url
        assert not _report_reads(on_default), (url, _report_reads(on_default))
    with CaptureQueriesContext(replica) as on_replica:
        assert api.get(f"/api/v1/incidents/{logged[0].number}").status_code == 200
    assert not on_replica.captured_queries


def test_an_export_streams_from_the_replica_and_is_audited_on_default(replica, org, logged):
    before = AuditEvent.objects.filter(kind=AuditKind.EXPORT).count()
    response = browser(org.desk).get("/reports/export/incidents.csv", {"queue": "all"})
    assert response.status_code == 200
    with CaptureQueriesContext(connections["default"]) as on_default, \
            CaptureQueriesContext(replica) as on_replica:
        body = b"".join(response.streaming_content)  # rows are read as the file is written
    assert any("incidents_incident" in q["sql"] for q in on_replica.captured_queries)
    assert not _report_reads(on_default)
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert sorted(r[0] for r in rows[1:]) == sorted(i.number for i in logged)
    assert AuditEvent.objects.using("default").filter(
        kind=AuditKind.EXPORT).count() == before + 1


def test_a_replica_that_does_not_answer_leaves_the_reports_on_default(dead_replica, org,
                                                                      logged):
    with reporting_reads() as alias:
        assert alias == "default"
        assert Incident.objects.all().db == "default"
    person = browser(org.owner)
    assert person.get("/measures/").status_code == 200
    export = person.get("/reports/export/incidents.csv", {"queue": "all"})
    assert export.status_code == 200
    assert len(b"".join(export.streaming_content).decode("utf-8-sig").splitlines()) == 4


def test_a_report_that_fails_on_the_replica_runs_again_on_default(replica, logged):
    """A hot standby may cancel a long query (a conflict with recovery): read it again."""
    tried = []

    def report():
        alias = Incident.objects.all().db
        tried.append(alias)
        if alias == REPORTS:
            with connections[REPORTS].cursor() as cursor:
                cursor.execute("SELECT no_such_column FROM incidents_incident")
        return Incident.objects.count()

    assert reporting_call(report) == 3
    assert tried == [REPORTS, "default"]

    def broken():
        raise DatabaseError("not the replica's fault")

    with pytest.raises(DatabaseError):
        reporting_call(broken)


def _report_reads(capture) -> list[str]:
    """Queries on default that read report data (not the session, the person, the audit)."""
    return [q["sql"][:160] for q in capture.captured_queries
            if any(table in q["sql"] for table in ("incidents_", "measures_", "sla_"))]
