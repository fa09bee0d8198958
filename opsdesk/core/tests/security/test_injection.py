"""Hostile input through every way in, and proof that it comes out inert.

Each payload of opsdesk/core/testing/payloads.py goes in through the portal's report form, a
reply on the incident page, the desk's settings (a routing rule), a saved view's name, the REST
API, a mail to the intake mailbox (subject and body) and an Alertmanager webhook (labels,
annotations, generator URL). Then the pages that show it are parsed: nothing of the payload may
be a tag, an attribute name, an event handler, a script URL, htmx or an evaluated template. The
mail the requester gets has no injected header, the CSV export has no live formula, and the
tables are still all there with the same rows (SQL).
"""

import json
from email.message import EmailMessage

import pytest
from django.db import connection

from opsdesk.core.testing.payloads import ALL, MARKER, one_line
from opsdesk.incidents.models import Incident

from .cells import client_for
from .inert import assert_inert_html, formula_cells, injected_headers

pytestmark = pytest.mark.django_db

CASES = [pytest.param(kind, payload, id=f"{kind}{n}") for n, (kind, payload) in enumerate(ALL)]


def browser(world, role):
    return client_for(session=world.sessions[role])


def page(world, role, path):
    response = browser(world, role).get(path)
    assert response.status_code == 200, (path, response.status_code)
    return response.content.decode()


def created_incident(before: set) -> Incident:
    new = Incident.objects.exclude(pk__in=before).order_by("-pk")
    assert new.exists(), "no incident was created"
    return new.first()


def show_everywhere(world, incident):
    """The incident page for the desk and its requester, and the desk's list of all incidents."""
    assert_inert_html(page(world, "desk", f"/incidents/{incident.number}/"), "incident (desk)")
    if incident.requester_id == world.requester.pk:
        assert_inert_html(page(world, "requester", f"/incidents/{incident.number}/"),
                          "incident (requester)")
    assert_inert_html(page(world, "desk", "/work/all/?sort=-registered_at"), "queue")


@pytest.mark.parametrize(("kind", "payload"), CASES)
def test_portal_report(world, kind, payload):
    before = set(Incident.objects.values_list("pk", flat=True))
    response = browser(world, "requester").post("/portal/report/", {
        "short_description": one_line(payload) or "x", "description": payload,
        "urgency": 3, "impact": 4, "contact_phone": one_line(payload, 40)})
    if response.status_code == 422:  # refused with a message (NUL bytes): fine, nothing saved
        assert set(Incident.objects.values_list("pk", flat=True)) == before
        assert_inert_html(response.content.decode(), "report form")
        return
    assert response.status_code == 302, response.status_code
    show_everywhere(world, created_incident(before))


@pytest.mark.parametrize(("kind", "payload"), CASES)
def test_reply_and_work_note(world, kind, payload):
    for role, visibility in (("requester", "public"), ("engineer", "internal")):
        response = browser(world, role).post(f"/incidents/{world.inc.number}/comments/",
                                             {"body": payload, "visibility": visibility})
        assert response.status_code in (302, 422), response.status_code
    show_everywhere(world, world.inc)


@pytest.mark.parametrize(("kind", "payload"), CASES)
def test_settings_form_and_saved_view(world, kind, payload):
    response = browser(world, "owner").post("/settings/routing/new/", {
        "name_zh": one_line(payload), "name_en": one_line(payload),
        "group": world.groups["NET2"].pk, "order": 5, "is_active": "on"})
    assert response.status_code in (302, 422), response.status_code
    assert_inert_html(page(world, "owner", "/settings/routing/"), "routing rules")
    response = browser(world, "desk").post(f"/work/{world.queue}/views/",
                                           {"name": one_line(payload, 60), "query": payload})
    assert response.status_code == 302, response.status_code
    assert_inert_html(page(world, "desk", f"/work/{world.queue}/"), "queue with saved views")


@pytest.mark.parametrize(("kind", "payload"), CASES)
def test_api_fields(world, kind, payload):
    before = set(Incident.objects.values_list("pk", flat=True))
    api = client_for(token=world.tokens["desk"])
    response = api.post("/api/v1/incidents", json.dumps({
        "short_description": one_line(payload) or "x", "description": payload,
        "requester": "s_requester"}), content_type="application/json")
    assert response.status_code in (201, 422), (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json")
    if response.status_code == 422:
        assert set(Incident.objects.values_list("pk", flat=True)) == before
        return
    incident = created_incident(before)
    reply = api.post(f"/api/v1/incidents/{incident.number}/comments",
                     json.dumps({"body": payload}), content_type="application/json")
    assert reply.status_code in (201, 422), reply.status_code
    show_everywhere(world, incident)


def _mail(world, subject: str, body: str) -> bytes:
    message = EmailMessage()
    message["From"] = world.requester.email
    message["To"] = "desk@opsdesk.example"
    message["Message-ID"] = f"<{abs(hash((subject, body)))}@example.com>"
    try:
        message["Subject"] = subject
    except ValueError:  # the email package refuses a raw line break: send it encoded
        message["Subject"] = "=?utf-8?b?" + __import__("base64").b64encode(
            subject.encode()).decode() + "?="
    message.set_content(body)
    message.add_alternative(f"<p>{body}</p>", subtype="html")
    return message.as_bytes()


@pytest.mark.parametrize(("kind", "payload"), CASES)
def test_mail_subject_and_body(world, kind, payload):
    from opsdesk.intake.services.mail import inbound_mail_process, inbound_mail_store

    before = set(Incident.objects.values_list("pk", flat=True))
    raw = _mail(world, one_line(payload).replace("\x00", "") or "x", payload.replace("\x00", ""))
    mail, _new = inbound_mail_store(mailbox=world.mailbox, raw=raw)
    mail = inbound_mail_process(mail=mail)
    assert mail.state == "processed", (mail.state, mail.note)
    show_everywhere(world, created_incident(before))
    assert_inert_html(page(world, "owner", "/settings/intake/mails/"), "mail quarantine")


@pytest.mark.parametrize(("kind", "payload"), CASES)
def test_alert_labels_and_annotations(world, kind, payload):
    from opsdesk.intake.models import Alert
    from opsdesk.intake.services.payloads import integration_drain

    fingerprint = f"inj{abs(hash(payload))}"
    body = {"version": "4", "groupKey": fingerprint, "status": "firing", "receiver": "opsdesk",
            "alerts": [{"status": "firing", "fingerprint": fingerprint,
                        "labels": {"alertname": one_line(payload, 100), "severity": "critical",
                                   "instance": payload},
                        "annotations": {"summary": payload, "description": payload},
                        "startsAt": "2026-11-26T00:00:00Z",
                        "generatorURL": f"javascript:alert('{MARKER}')"}]}
    response = client_for().post(f"/api/v1/intake/alerts/{world.integration_token}",
                                 json.dumps(body), content_type="application/json")
    assert response.status_code in (202, 422), (response.status_code, response.content[:300])
    integration_drain(integration_id=world.integration.pk)
    assert_inert_html(page(world, "desk", "/work/alerts/"), "alert console")
    alert = Alert.objects.filter(fingerprint=fingerprint).first()
    if response.status_code == 202:
        assert alert is not None, "the alert was accepted but not recorded"
    if alert is not None:
        assert_inert_html(page(world, "desk", f"/work/alerts/{alert.pk}/"), "alert page")
        if alert.incident_id:
            show_everywhere(world, alert.incident)


@pytest.mark.parametrize(("kind", "payload"), CASES)
def test_outgoing_mail_headers(world, kind, payload, django_capture_on_commit_callbacks):
    """The mails to the requester when the desk logs an incident for them and replies: the
    payload is in their subject and body."""
    from opsdesk.notifications.channels.email import build
    from opsdesk.notifications.models import Delivery

    before = set(Delivery.objects.values_list("pk", flat=True))
    api = client_for(token=world.tokens["desk"])
    text = payload.replace("\x00", "")
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/api/v1/incidents", json.dumps({
            "short_description": one_line(text) or "x", "description": text,
            "requester": "s_requester"}), content_type="application/json")
    assert response.status_code == 201, (response.status_code, response.content[:300])
    number = response.json()["number"]
    with django_capture_on_commit_callbacks(execute=True):
        reply = api.post(f"/api/v1/incidents/{number}/comments", json.dumps({"body": text}),
                         content_type="application/json")
    assert reply.status_code == 201, reply.status_code
    mails = Delivery.objects.exclude(pk__in=before).filter(email=world.requester.email)
    assert mails.exists(), "no mail to the requester"
    for delivery in mails:
        raw = build(delivery).message().as_bytes()
        assert not injected_headers(raw, {delivery.email.lower()}), raw[:600]


@pytest.mark.parametrize(("kind", "payload"), [c for c in CASES if c.values[0] == "formula"])
def test_exports_escape_formulas(world, kind, payload):
    from opsdesk.core.testing.factories import incident_factory

    incident_factory(by=world.desk, requester=world.requester, short_description=payload,
                     description=payload)
    response = browser(world, "desk").get("/reports/export/incidents.csv")
    assert response.status_code == 200
    content = b"".join(response.streaming_content) if response.streaming else response.content
    assert not formula_cells(content), formula_cells(content)[:5]


def _row_counts():
    tables = sorted(connection.introspection.table_names())
    with connection.cursor() as cursor:
        counts = {}
        for table in ("incidents_incident", "accounts_user", "incidents_comment"):
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")
            counts[table] = cursor.fetchone()[0]
    return tables, counts


@pytest.mark.parametrize(("kind", "payload"), [c for c in CASES if c.values[0] == "sql"])
def test_sql_payloads_in_searches_and_filters_change_nothing(world, kind, payload):
    before = _row_counts()
    desk = browser(world, "desk")
    api = client_for(token=world.tokens["desk"])
    for response in (desk.get("/search/", {"q": payload}),
                     desk.get(f"/work/{world.queue}/", {"q": payload, "sort": payload}),
                     desk.get("/work/lookup/people/", {"q": payload}),
                     api.get("/api/v1/incidents", {"q": payload, "category": payload}),
                     api.get("/api/v1/search", {"q": payload}),
                     api.get("/api/v1/users", {"q": payload})):
        assert response.status_code in (200, 400, 422), response.status_code
    assert _row_counts() == before
