"""The audit log's page, its CSV download and its API: who may read, filters, paging."""

import csv
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from opsdesk.accounts.services import api_token_create
from opsdesk.audit.models import AuditEvent, AuditKind
from opsdesk.audit.selectors import PAGE_SIZE
from opsdesk.audit.services import audit_record

pytestmark = pytest.mark.django_db
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"  # whatever backends come first
READERS = ("owner", "admin")
OTHERS = ("requester", "desk", "engineer", "manager")


def browser(user):
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(user, backend=MODEL_BACKEND)
    return client


def api(user):
    _token, secret = api_token_create(user=user, name="audit tests")
    return Client(headers={"Authorization": f"Bearer {secret}", "Accept-Language": "en"})


@pytest.mark.parametrize("role", READERS + OTHERS)
def test_only_administrators_and_process_owners_read_the_log(org, role):
    user = getattr(org, role)
    allowed = role in READERS
    assert browser(user).get("/audit/").status_code == (200 if allowed else 403)
    assert browser(user).get("/audit/export.csv").status_code == (200 if allowed else 403)
    assert api(user).get("/api/v1/audit").status_code == (200 if allowed else 403)


def test_anonymous_callers_are_sent_to_sign_in(org):
    assert Client().get("/audit/").status_code == 302
    assert Client().get("/api/v1/audit").status_code == 401


def test_the_page_filters_by_kind_actor_and_day(org):
    audit_record(kind=AuditKind.EXPORT, actor=org.manager, target_text="incidents:all")
    audit_record(kind=AuditKind.SIGN_IN_FAILED, actor_username="<script>x</script>",
                 target_text="<script>x</script>")
    client = browser(org.admin)
    page = client.get("/audit/", {"kind": "export"}).content.decode()
    assert "incidents:all" in page and "&lt;script&gt;" not in page
    page = client.get("/audit/", {"actor": "<script>x</script>"}).content.decode()
    assert "&lt;script&gt;x&lt;/script&gt;" in page and "<script>x" not in page
    today = timezone.localdate()
    page = client.get("/audit/", {"since": (today + timedelta(days=1)).isoformat()})
    assert "No events match these filters." in page.content.decode()
    page = client.get("/audit/", {"since": today.isoformat(), "until": today.isoformat()})
    assert "incidents:all" in page.content.decode()


def test_bad_filters_say_what_to_fix(org):
    client = browser(org.admin)
    response = client.get("/audit/", {"since": "yesterday", "kind": "nope"})
    assert response.status_code == 422
    page = response.content.decode()
    assert "Use a date such as 2026-01-31." in page
    assert "Choose one of the listed kinds of event." in page
    response = api(org.admin).get("/api/v1/audit", {"until": "2026-01-01",
                                                      "since": "2026-02-01"})
    assert response.status_code == 422
    assert response.json()["errors"]["until"] == "The end date comes before the start date."


def test_pages_go_back_in_time_with_the_same_queries(org):
    client = browser(org.owner)
    client.get("/audit/")

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/audit/").status_code == 200
        return len(captured)

    few = queries()
    for n in range(PAGE_SIZE + 5):
        audit_record(kind=AuditKind.CONFIG_CHANGED, target_text=f"change {n}")
    assert queries() == few
    newest = AuditEvent.objects.order_by("-seq").first().seq
    page = client.get("/audit/").content.decode()
    assert f"before={newest - PAGE_SIZE + 1}" in page
    older = client.get("/audit/", {"before": newest - PAGE_SIZE + 1}).content.decode()
    assert f"change {PAGE_SIZE + 4}" not in older and "change 0" in older


def test_csv_has_every_entry_escaped_and_is_itself_audited(org):
    audit_record(kind=AuditKind.SIGN_IN_FAILED, actor_username="=HYPERLINK(1)",
                 target_text="=HYPERLINK(1)")
    response = browser(org.admin).get("/audit/export.csv", {"kind": "sign_in_failed"})
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0][:3] == ["Seq", "Time", "Event"]
    assert rows[1][3] == "'=HYPERLINK(1)" and rows[1][2] == "sign-in failed"
    [export] = AuditEvent.objects.filter(kind=AuditKind.EXPORT)
    assert export.actor == org.admin and export.target_text == "audit log"
    assert export.details == {"format": "csv", "params": {"kind": "sign_in_failed"}}


def test_the_api_lists_newest_first_with_a_next_page(org):
    for n in range(3):
        audit_record(kind=AuditKind.TOKEN_REVOKED, target_text=f"token {n}")
    client = api(org.owner)
    first = client.get("/api/v1/audit", {"kind": "token_revoked", "limit": 2}).json()
    assert [e["target"] for e in first["events"]] == ["token 2", "token 1"]
    assert first["events"][0]["prev_hash"] and len(first["events"][0]["hash"]) == 64
    rest = client.get("/api/v1/audit", {"kind": "token_revoked", "limit": 2,
                                         "before": first["next_before"]}).json()
    assert [e["target"] for e in rest["events"]] == ["token 0"]
    assert rest["next_before"] is None
    assert client.get("/api/v1/audit", {"limit": 0}).status_code == 422


def test_the_settings_page_links_the_audit_log(org):
    assert 'href="/audit/"' in browser(org.owner).get("/settings/").content.decode()
