"""The catalogue in the browser: portal order, desk order, approvals, the incident page panel."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from opsdesk.catalog.models import ServiceRequest
from opsdesk.incidents.choices import Status
from opsdesk.incidents.models import Incident


def client_for(user):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def test_the_catalogue_lists_types_by_category_and_searches(org, catalog):
    client = client_for(org.requester)
    page = client.get(reverse("web:catalog")).content.decode()
    assert "Password reset" in page and "VPN access" in page
    found = client.get(reverse("web:catalog"), {"q": "VPN"}).content.decode()
    assert "VPN access" in found and "Password reset" not in found
    found = client.get(reverse("web:catalog"), {"q": "密码"}).content.decode()
    assert "Password reset" in found


def test_ordering_from_the_portal_lands_on_the_request(org, catalog):
    client = client_for(org.requester)
    url = reverse("web:catalog_order", args=["vpn"])
    assert 'type="date"' in client.get(url).content.decode()
    upload = SimpleUploadedFile("form.pdf", b"%PDF-1.4 x", content_type="application/pdf")
    response = client.post(url, {"start": "2026-05-01", "deputy": "colleague", "form": upload})
    incident = Incident.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("web:incident", args=[incident.number])
    page = client.get(response["Location"]).content.decode()
    assert "VPN access" in page and "awaiting approval" in page and "form.pdf" in page
    attachment = incident.attachments.get()
    assert reverse("web:attachment", args=[incident.number, attachment.pk]) in page
    assert "Check the caller" not in page  # instructions are for staff
    assert incident.number in client.get(reverse("web:portal")).content.decode()


def test_errors_stay_next_to_their_fields_with_422_and_nothing_is_lost(org, catalog):
    client = client_for(org.requester)
    response = client.post(reverse("web:catalog_order", args=["password-reset"]),
                           {"account": "Li Lei"})
    assert response.status_code == 422
    page = response.content.decode()
    assert "Lower-case letters and digits only" in page and 'value="Li Lei"' in page
    assert not Incident.objects.exists()


def test_staff_see_the_instructions_rendered_safely(org, catalog):
    catalog.reset.instructions_en = "1. Check the caller\n2. <script>alert(1)</script>Reset"
    catalog.reset.save()
    client = client_for(org.requester)
    client.post(reverse("web:catalog_order", args=["password-reset"]), {"account": "li.lei"})
    number = Incident.objects.get().number
    page = client_for(org.desk).get(reverse("web:incident", args=[number])).content.decode()
    assert "<li>Check the caller</li>" in page
    assert "<script>alert(1)</script>" not in page


def test_the_desk_logs_a_request_from_a_phone_call(org, catalog):
    client = client_for(org.desk)
    url = reverse("web:desk_request")
    assert "Password reset" in client.get(url).content.decode()
    assert 'name="account"' in client.get(url, {"type": "password-reset"}).content.decode()
    bad = client.post(url, {"type": "password-reset", "requester": "ghost", "account": "li"})
    assert bad.status_code == 422 and "Nobody with this username" in bad.content.decode()
    response = client.post(url, {"type": "password-reset", "requester": "requester",
                                 "contact_phone": "8001", "account": "li.lei"})
    assert response.status_code == 302
    incident = Incident.objects.get()
    assert (incident.requester, incident.source_id, incident.contact_phone) == (
        org.requester, "01", "8001")


@pytest.mark.parametrize("who", ["requester", "engineer", "owner"])
def test_only_the_desk_logs_requests_for_others(org, catalog, who):
    assert client_for(getattr(org, who)).get(reverse("web:desk_request")).status_code == 403


def test_the_manager_approves_from_the_approvals_page(org, catalog):
    client_for(org.requester).post(reverse("web:catalog_order", args=["software"]),
                                   {"software": "visio", "why": "Diagrams"})
    incident = Incident.objects.get()
    boss = client_for(catalog.boss)
    page = boss.get(reverse("web:approvals")).content.decode()
    assert incident.number in page and "Diagrams" in page
    assert client_for(org.colleague).post(
        reverse("web:approval_decide", args=[incident.number, "approve"])).status_code == 404
    assert client_for(org.desk).post(
        reverse("web:approval_decide", args=[incident.number, "approve"])).status_code == 403
    response = boss.post(reverse("web:approval_decide", args=[incident.number, "approve"]),
                         {"comment": "Go ahead"})
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.status == Status.ASSIGNED and incident.assignment_group == org.groups["APP2"]
    assert "Nothing waits for your approval." in boss.get(reverse("web:approvals")).content.decode()


def test_rejecting_without_a_reason_is_refused_and_keeps_the_request(org, catalog):
    client_for(org.requester).post(reverse("web:catalog_order", args=["software"]),
                                   {"software": "visio", "why": "Diagrams"})
    incident = Incident.objects.get()
    boss = client_for(catalog.boss)
    url = reverse("web:approval_decide", args=[incident.number, "reject"])
    response = boss.post(url, {"comment": ""})
    assert response.status_code == 422 and "Say why you reject" in response.content.decode()
    boss.post(url, {"comment": "No licence left"})
    assert Incident.objects.get().status == Status.CANCELLED
    assert ServiceRequest.objects.get().approval_state == "rejected"


def test_the_panel_costs_nothing_for_an_ordinary_incident(org, catalog):
    from opsdesk.core.testing.factories import incident_factory
    from opsdesk.web.templatetags.catalog_tags import incident_request_panel

    incident = incident_factory(by=org.desk, requester=org.requester)
    with CaptureQueriesContext(connection) as queries:
        assert incident_request_panel(incident, org.desk, True) == {"details": None}
    assert len(queries) == 0


def test_a_type_of_another_audience_is_not_found(org, catalog):
    catalog.vpn.audience.add(org.dept)
    assert client_for(org.outsider).get(
        reverse("web:catalog_order", args=["vpn"])).status_code == 404
    assert client_for(org.requester).get(
        reverse("web:catalog_order", args=["vpn"])).status_code == 200
