"""Confirm or reject a resolution from the email's link; email choices on the profile page."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from opsdesk.core.testing.factories import incident_factory
from opsdesk.incidents.choices import Status
from opsdesk.incidents.respond import respond_token
from opsdesk.incidents.services import incident_transition
from opsdesk.notifications.services import deliveries_send_due
from opsdesk.notifications.tests.conftest import smtp_server  # noqa: F401  (fixture)
from opsdesk.reference.models import ResolutionCode

pytestmark = pytest.mark.django_db


def resolved(org):
    incident = incident_factory(by=org.desk, requester=org.requester)
    return incident_transition(incident=incident, action="resolve", by=org.desk,
                               resolution="Restarted the spooler",
                               resolution_code=ResolutionCode.objects.get(pk="01"))


def link_from_mail(server, address: str) -> str:
    texts = [m.get_body(("plain",)).get_content() for _f, rcpt, m in server.messages
             if rcpt == [address]]
    return re.search(r"http://127\.0\.0\.1:8000(/respond/[^\s#]+/)#confirm", texts[-1]).group(1)


def test_confirm_link_from_the_email_closes_the_incident(org, client, smtp_server):
    incident = resolved(org)
    deliveries_send_due()
    path = link_from_mail(smtp_server, org.requester.email)
    page = client.get(path)
    assert page.status_code == 200 and incident.number in page.content.decode()
    assert client.post(path, {"answer": "confirm"}).status_code == 200
    incident.refresh_from_db()
    assert incident.status == Status.CLOSED
    event = incident.events.latest("pk")
    assert (event.actor, event.channel, event.action) == (org.requester, "email", "confirm")
    assert client.post(path, {"answer": "confirm"}).status_code == 409  # spent


def test_get_changes_nothing(org, client):
    incident = resolved(org)
    path = f"/respond/{respond_token(incident=incident)}/"
    for _prefetch in range(3):
        client.get(path)
    incident.refresh_from_db()
    assert incident.status == Status.RESOLVED


def test_reject_needs_a_reason_and_reopens(org, client):
    incident = resolved(org)
    path = f"/respond/{respond_token(incident=incident)}/"
    assert client.post(path, {"answer": "reject", "reason": " "}).status_code == 422
    incident.refresh_from_db()
    assert incident.status == Status.RESOLVED
    assert client.post(path, {"answer": "reject", "reason": "Still jams"}).status_code == 200
    incident.refresh_from_db()
    assert incident.status == Status.IN_PROGRESS and incident.reopen_count == 1


def test_expired_and_tampered_tokens_are_refused(org, client):
    incident = resolved(org)
    token = respond_token(incident=incident)
    assert client.post(f"/respond/{token[:-2]}xx/", {"answer": "confirm"}).status_code == 400
    with time_machine.travel(timezone.now() + timedelta(days=15)):
        response = client.post(f"/respond/{token}/", {"answer": "confirm"})
    assert response.status_code == 410
    incident.refresh_from_db()
    assert incident.status == Status.RESOLVED


def test_a_link_from_an_earlier_resolution_is_spent(org, client):
    incident = resolved(org)
    old = respond_token(incident=incident)
    incident_transition(incident=incident, action="reopen", by=org.desk, reason="Not yet")
    incident_transition(incident=incident, action="resolve", by=org.desk, resolution="Again",
                        resolution_code=ResolutionCode.objects.get(pk="01"))
    assert client.get(f"/respond/{old}/").status_code == 409


def test_profile_switches_email_kinds_off(org, client):
    client.force_login(org.engineer)
    page = client.get("/profile/").content.decode()
    assert 'name="email_on"' in page and 'value="assigned"' in page
    response = client.post("/profile/", {"form": "notifications", "email_on": ["sla"]})
    assert response.status_code == 302
    org.engineer.refresh_from_db()
    assert not org.engineer.wants_email("assigned") and org.engineer.wants_email("sla")
