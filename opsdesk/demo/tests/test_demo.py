"""The demo company: every role, every line, services and CIs, incidents in every status."""

from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.db.models import Count

from opsdesk.accounts.models import Location, Organisation, SupportGroup, User
from opsdesk.cmdb.models import ConfigurationItem, Service
from opsdesk.demo import data
from opsdesk.demo.services import demo_company_create, password_generate
from opsdesk.incidents.choices import EventKind, Status
from opsdesk.incidents.models import Comment, Incident, IncidentEvent
from opsdesk.intake.models import Alert, Silence
from opsdesk.vendors.models import Vendor

pytestmark = pytest.mark.django_db
# Opened by the demo's alerts (opsdesk/demo/alerts.py), and by its major incident: an ERP outage
# reported twenty-one times (opsdesk/demo/major.py). The name stays: both arrive on their own.
MONITORING_INCIDENTS = 2 + 21
# And eight P2 stories for the process analysis (opsdesk/demo/analysis.py), older than the rest.
ANALYSIS_INCIDENTS = 8
ROLE_USERNAMES = ["user", "desk", "engineer", "manager", "owner", "admin"]
MODELS = [Organisation, Location, User, SupportGroup, Service, ConfigurationItem, Vendor,
          Incident, IncidentEvent, Comment, Alert, Silence]


@pytest.fixture(autouse=True)
def fast_passwords(settings, monkeypatch):
    """Cheap hashing keeps the tests fast; no shared demo password unless a test sets one."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    monkeypatch.delenv("OPSDESK_DEMO_PASSWORD", raising=False)


def test_every_role_has_its_account_and_a_working_password():
    result = demo_company_create(incidents=0)
    assert [a.username for a in result.accounts] == ROLE_USERNAMES
    for account in result.accounts:
        assert authenticate(username=account.username, password=account.password) is not None
    users = {u.username: u for u in User.objects.filter(username__in=ROLE_USERNAMES)}
    assert users["desk"].is_service_desk and users["engineer"].is_engineer
    assert users["manager"].is_incident_manager and users["owner"].is_process_owner
    admin = users["admin"]
    assert admin.is_superuser and admin.is_staff and admin.is_administrator
    assert users["user"].roles == {"user"}
    assert User.objects.count() >= len(ROLE_USERNAMES) + 30


def test_company_has_departments_and_groups_on_every_line():
    demo_company_create(incidents=0)
    company = Organisation.objects.get(name_en="Example Tech Co.")
    assert company.name_zh == "示例科技有限公司"
    assert company.children.count() == len(data.DEPARTMENTS)
    assert set(SupportGroup.objects.values_list("line", flat=True)) == {1, 2, 3}
    network = SupportGroup.objects.get(code="NET")
    assert network.escalation_group.line == 3
    assert SupportGroup.objects.get(code="DESK").members.filter(username="desk").exists()
    assert all(g.members.exists() for g in SupportGroup.objects.all())


def test_services_and_configuration_items_are_linked_to_owner_groups():
    demo_company_create(incidents=0)
    assert Service.objects.filter(owner_group__isnull=False).count() == len(data.SERVICES)
    email = Service.objects.get(code="EMAIL")
    assert email.configuration_items.filter(name="exch-mbx01").exists()
    types = set(ConfigurationItem.objects.values_list("ci_type_id", flat=True))
    assert {"server", "database", "network", "application", "pc", "printer"} <= types
    assert not ConfigurationItem.objects.filter(owner_group__isnull=True).exists()


def test_incidents_reach_every_status_through_the_services():
    result = demo_company_create(incidents=40, seed=3)
    # The stories' 40, the 2 the demo monitoring opened (an ERP group and a mail queue), the
    # major incident's 21 and the process analysis' 8.
    assert result.incidents_created == Incident.objects.count() == 40 + MONITORING_INCIDENTS + ANALYSIS_INCIDENTS
    assert set(Incident.objects.values_list("status", flat=True)) == set(Status.values)
    created_events = IncidentEvent.objects.filter(kind=EventKind.CREATED).count()
    assert created_events == 40 + MONITORING_INCIDENTS + ANALYSIS_INCIDENTS
    for incident in Incident.objects.exclude(status=Status.LOGGED):
        last = incident.events.filter(kind=EventKind.TRANSITION).last()
        assert last.to_status == incident.status
    closed = Incident.objects.filter(status=Status.CLOSED)
    assert not closed.filter(closed_at__isnull=True).exists()
    assert not closed.filter(closure_code__isnull=True).exists()


def test_incidents_are_in_chinese_and_english():
    demo_company_create(incidents=40, seed=1)
    texts = list(Incident.objects.values_list("short_description", flat=True))
    assert any(not text.isascii() for text in texts)
    assert any(text.isascii() for text in texts)


def test_running_twice_duplicates_nothing_and_gives_new_passwords():
    first = demo_company_create(incidents=15)
    counts = {model: model.objects.count() for model in MODELS}
    second = demo_company_create(incidents=15)
    assert second.incidents_created == 0
    assert {model: model.objects.count() for model in MODELS} == counts
    assert [a.password for a in first.accounts] != [a.password for a in second.accounts]
    assert authenticate(username="desk", password=first.accounts[1].password) is None
    assert authenticate(username="desk", password=second.accounts[1].password) is not None
    numbers = Incident.objects.values("number").annotate(n=Count("id")).filter(n__gt=1)
    assert not numbers.exists()


def test_shared_demo_password_from_the_environment(monkeypatch):
    monkeypatch.setenv("OPSDESK_DEMO_PASSWORD", "demo-Pass-2024")
    result = demo_company_create(incidents=0)
    assert {a.password for a in result.accounts} == {"demo-Pass-2024"}
    assert authenticate(username="wangfang", password="demo-Pass-2024") is not None
    assert authenticate(username="xuhao", password="demo-Pass-2024") is not None


def test_other_demo_people_cannot_sign_in_without_a_shared_password():
    demo_company_create(incidents=0)
    assert not User.objects.get(username="wangfang").has_usable_password()


def test_generated_passwords_differ_and_are_readable():
    passwords = {password_generate() for _ in range(20)}
    assert len(passwords) == 20
    assert all(len(p) == 14 and p.count("-") == 2 for p in passwords)


def test_demo_data_command_prints_the_accounts():
    out = StringIO()
    call_command("demo_data", "--incidents", "3", stdout=out)
    printed = out.getvalue()
    for username in ROLE_USERNAMES:
        assert username in printed
    assert Incident.objects.count() == 3 + MONITORING_INCIDENTS + ANALYSIS_INCIDENTS


def test_stories_are_spread_over_weeks_in_registration_order():
    from django.utils import timezone

    demo_company_create(incidents=60, seed=5)
    now = timezone.now()
    incidents = list(Incident.objects.order_by("id"))
    ages = [now - i.registered_at for i in incidents]
    assert max(ages).days >= 7, "closed incidents were reported weeks ago"
    # Ids follow registration order, so "newest first" lists are in time order.
    assert [i.registered_at for i in incidents] == sorted(i.registered_at for i in incidents)
    for incident in incidents:
        # The number carries the (company-local) day the incident was reported.
        day = timezone.localdate(incident.registered_at, timezone.get_default_timezone())
        assert f"{day:%Y%m%d}" in incident.number
        assert incident.registered_at <= incident.updated_at <= now
        if incident.status in (Status.LOGGED, Status.ASSIGNED):
            assert now - incident.registered_at < timedelta(days=1)
        if incident.closed_at:
            assert incident.registered_at < incident.resolved_at <= incident.closed_at <= now
        events = list(incident.events.order_by("id"))
        assert [e.at for e in events] == sorted(e.at for e in events)


def test_the_demo_stories_mail_nobody():
    """They happened in the past: the demo people get no mail for them."""
    from opsdesk.notifications.models import Delivery

    demo_company_create(incidents=20, seed=2)
    assert Incident.objects.count() == 20 + MONITORING_INCIDENTS + ANALYSIS_INCIDENTS
    assert Delivery.objects.count() == 0


def test_the_monitoring_opened_incidents_for_its_alerts_and_resolved_what_recovered():
    demo_company_create(incidents=15)
    alerts = {a.fingerprint: a for a in Alert.objects.select_related("incident")}
    disk, latency, queue = (alerts["demo-erp-db01-disk"], alerts["demo-erp-db01-latency"],
                            alerts["demo-exch-mbx02-queue"])
    assert disk.incident == latency.incident  # grouped by service
    assert disk.incident.service.code == "ERP"
    assert disk.incident.assignment_group.code == "DBA"  # erp-db01's owner group
    assert disk.incident.status not in (Status.RESOLVED, Status.CLOSED)
    assert queue.status == "resolved" and queue.incident.status == Status.RESOLVED
    assert Silence.objects.filter(kind="maintenance").count() == 1
