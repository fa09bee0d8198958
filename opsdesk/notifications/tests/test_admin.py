"""Endpoints in the admin: administrators only, and a saved secret is never shown again."""

import pytest
from django.urls import reverse

from opsdesk.notifications.models import Delivery, Endpoint

SECRET = "SECb6c1d1a4f0e6b2bd4e1c5a9b3c2d7e8f0a"
TOKEN = "access_token=tok-5e3d587e"


@pytest.fixture
def admin_client(client, org):
    client.force_login(org.admin)
    return client


def form(**overrides) -> dict:
    return {"kind": "dingtalk", "name_zh": "运维群", "name_en": "Ops group",
            "url": f"https://oapi.dingtalk.com/robot/send?{TOKEN}", "secret": SECRET,
            "is_active": "on", **overrides}


def add_endpoint(admin_client) -> Endpoint:
    response = admin_client.post(reverse("admin:notifications_endpoint_add"), form())
    assert response.status_code == 302, response.content.decode()[:2000]
    return Endpoint.objects.get()


def test_secret_is_saved_and_never_shown_again(admin_client):
    endpoint = add_endpoint(admin_client)
    assert endpoint.secret == SECRET
    page = admin_client.get(reverse("admin:notifications_endpoint_change", args=[endpoint.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert SECRET not in html and SECRET[:12] not in html
    assert "••••8f0a" in html and "e8f0a" not in html  # the hint: the last four characters
    listing = admin_client.get(reverse("admin:notifications_endpoint_changelist")).content.decode()
    assert SECRET not in listing and TOKEN not in listing
    assert "https://oapi.dingtalk.com/…" in listing


def test_empty_secret_keeps_the_saved_one_and_clearing_removes_it(admin_client):
    endpoint = add_endpoint(admin_client)
    url = reverse("admin:notifications_endpoint_change", args=[endpoint.pk])
    assert admin_client.post(url, form(secret="", name_en="Ops")).status_code == 302
    endpoint.refresh_from_db()
    assert (endpoint.name_en, endpoint.secret) == ("Ops", SECRET)
    assert admin_client.post(url, form(secret="", clear_secret="on")).status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.secret == ""


def test_a_webhook_needs_a_secret(admin_client):
    response = admin_client.post(reverse("admin:notifications_endpoint_add"),
                                 form(kind="webhook", secret=""))
    assert response.status_code == 200
    assert not Endpoint.objects.exists()


def test_only_administrators_manage_endpoints(client, org):
    client.force_login(org.owner)  # the process owner edits reference data, not secrets
    assert client.get(reverse("admin:notifications_endpoint_changelist")).status_code == 403


def test_delivery_log_is_read_only_and_a_dead_delivery_can_be_sent_again(admin_client):
    delivery = Delivery.objects.create(idempotency_key="k", channel="email",
                                       email="li.lei@example.com", subject="INC1", text="t",
                                       status="dead", attempts=8, last_error="HTTP 500")
    changelist = reverse("admin:notifications_delivery_changelist")
    assert admin_client.get(changelist).status_code == 200
    change = admin_client.get(reverse("admin:notifications_delivery_change", args=[delivery.pk]))
    assert change.status_code == 200 and b'name="subject"' not in change.content
    response = admin_client.post(changelist, {"action": "send_again",
                                              "_selected_action": [delivery.pk]})
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("pending", 0)
