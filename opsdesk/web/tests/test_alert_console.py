"""The desk's alert console: who may look and act, the live list and its filters, the alert page,
each action as the desk would check it, bad input, failed payloads and query counts."""

import json
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from opsdesk.core.testing.matrix import (
    ALLOW,
    DENY,
    check_matrix_complete,
    incident_in,
    matrix_cases,
)
from opsdesk.incidents.models import Incident
from opsdesk.intake.models import Alert, AlertIntegration, AlertPayload, AlertRule, Silence
from opsdesk.intake.parsers.types import NormalizedAlert
from opsdesk.intake.services.alerts import alerts_ingest

ROLES = ("requester", "desk", "engineer", "manager", "owner", "admin")
# Process owners set the filter rules and maintenance windows, so they read the console too.
LOOK = {"requester": DENY, "desk": ALLOW, "engineer": ALLOW, "manager": ALLOW, "owner": ALLOW,
        "admin": ALLOW}
# What becomes of an alert on the desk is the desk's (and a manager's) decision …
ACT = {"requester": DENY, "desk": ALLOW, "engineer": DENY, "manager": ALLOW, "owner": DENY,
       "admin": DENY}
# … silences are also kept by those who keep them under Settings (owners, administrators) …
SILENCE = {"requester": DENY, "desk": ALLOW, "engineer": DENY, "manager": ALLOW, "owner": ALLOW,
           "admin": ALLOW}
# … and a failed payload is retried by the desk, or by whoever fixed the integration.
RETRY = dict(SILENCE)
ACCESS = {"console": LOOK, "alert page": LOOK, "acknowledge": ACT, "silence": SILENCE,
          "end silence": SILENCE, "extend silence": SILENCE, "link": ACT,
          "open incident": ACT, "retry payload": RETRY}
check_matrix_complete(ACCESS, actions=list(ACCESS), roles=ROLES)
HTMX = {"HTTP_HX_REQUEST": "true"}
CONSOLE_QUERIES = 8  # 7 + the top bar's count of approvals waiting


def browser(user):
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(user)
    return client


def integration(name="prom", kind="alertmanager") -> AlertIntegration:
    made = AlertIntegration(name=name, kind=kind)
    made.token_new()
    made.save()
    return made


def fire(source: AlertIntegration, fingerprint="fp1", status="firing", **fields) -> Alert:
    """One delivery through the real pipeline; returns the alert row."""
    labels = fields.pop("labels", {"alertname": "HighCPU", "service": "erp",
                                   "host": fingerprint})
    alerts_ingest(integration=source, alerts=[NormalizedAlert(
        source=source.kind, fingerprint=fingerprint, status=status, labels=labels,
        summary=fields.pop("summary", f"CPU high on {fingerprint}"),
        severity=fields.pop("severity", "critical"), starts_at=timezone.now(), **fields)])
    return Alert.objects.get(integration=source, fingerprint=fingerprint)


def quiet_alert(source: AlertIntegration, fingerprint="drop1") -> Alert:
    """An alert a filter rule dropped: no incident."""
    AlertRule.objects.get_or_create(action="drop", matchers=[["alertname", "=", "Noise"]])
    return fire(source, fingerprint, labels={"alertname": "Noise", "host": fingerprint},
                summary="Noisy alert")


def row_of(page: str, alert: Alert) -> str:
    match = re.search(rf'<tr data-alert="{alert.pk}".*?</tr>', page, re.DOTALL)
    return match.group(0) if match else ""


def field_errors(page: str, name: str) -> str:
    match = re.search(rf'<ul class="errors" id="id_{name}_error" role="alert">(.*?)</ul>',
                      page, re.DOTALL)
    return match.group(1) if match else ""


def failed_payload(source: AlertIntegration, body: dict) -> AlertPayload:
    return AlertPayload.objects.create(integration=source, body=json.dumps(body),
                                       state=AlertPayload.State.FAILED, error="no alerts list")


AM_BODY = {"version": "4", "groupKey": "g1", "status": "firing", "alerts": [
    {"status": "firing", "labels": {"alertname": "DiskFull", "host": "db1"},
     "annotations": {"summary": "Disk full on db1"}, "startsAt": "2026-01-01T00:00:00Z",
     "fingerprint": "disk-db1"}]}


# --- who may look and act -----------------------------------------------------------------------

def held(source: AlertIntegration, hours: int = 2, **fields) -> Silence:
    """A one-off silence in force for `hours` over the erp service's alerts."""
    now = timezone.now()
    return Silence.objects.create(integration=source, matchers=[["service", "=", "erp"]],
                                  starts_at=now - timedelta(minutes=5),
                                  ends_at=now + timedelta(hours=hours), **fields)


def _request(action: str, client: Client, alert: Alert, payload: AlertPayload,
             silence: Silence):
    base, held_at = f"/work/alerts/{alert.pk}/", f"/work/alerts/silences/{silence.pk}/"
    return {
        "console": lambda: client.get("/work/alerts/"),
        "alert page": lambda: client.get(base),
        "acknowledge": lambda: client.post(base + "acknowledge/"),
        "silence": lambda: client.post(base + "silence/", {"hours": "2"}),
        "end silence": lambda: client.post(held_at + "end/"),
        "extend silence": lambda: client.post(held_at + "extend/", {"hours": "1"}),
        "link": lambda: client.post(base + "link/", {"number": "INC0"}),
        "open incident": lambda: client.post(base + "incident/"),
        "retry payload": lambda: client.post(f"/work/alerts/payloads/{payload.pk}/retry/"),
    }[action]()


@pytest.mark.parametrize("action, role, expected", matrix_cases(ACCESS))
def test_who_may_look_and_act(org, action, role, expected):
    source = integration()
    alert = quiet_alert(source)
    payload = failed_payload(source, AM_BODY)
    response = _request(action, browser(getattr(org, role)), alert, payload, held(source))
    if expected == DENY:
        assert response.status_code == 403
    else:
        assert response.status_code in (200, 302, 422)


def test_denied_actions_change_nothing(org):
    source = integration()
    alert = quiet_alert(source)
    payload = failed_payload(source, AM_BODY)
    silence = held(source)
    end = silence.ends_at
    for role in ("requester", "engineer", "owner", "admin"):
        denied = [a for a, allowed in ACCESS.items() if allowed[role] == DENY]
        for action in denied:
            _request(action, browser(getattr(org, role)), alert, payload, silence)
    alert.refresh_from_db()
    silence.refresh_from_db()
    assert alert.acknowledged_at is None and alert.incident_id is None
    assert Silence.objects.get() == silence and silence.ends_at == end
    assert not Incident.objects.exists()
    payload.refresh_from_db()
    assert payload.state == AlertPayload.State.FAILED


def test_anonymous_people_are_sent_to_sign_in(db):
    response = Client().get("/work/alerts/")
    assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.parametrize("role", ROLES)
def test_the_console_is_in_the_navigation_for_those_who_may_look(org, role):
    page = browser(getattr(org, role)).get("/portal/").content.decode()
    assert ('href="/work/alerts/"' in page) == (LOOK[role] == ALLOW)


# --- the live list -------------------------------------------------------------------------------

def test_the_list_shows_each_alert_with_its_state_and_incident(org):
    source = integration()
    alert = fire(source)
    fire(source)  # a second delivery
    page = browser(org.desk).get("/work/alerts/").content.decode()
    row = row_of(page, alert)
    incident = Incident.objects.get()
    assert "CPU high on fp1" in row and "prom" in row and "critical" in row
    assert "firing" in row and "on an incident" in row
    assert f'href="/incidents/{incident.number}/">{incident.number}</a>' in row
    assert '<td data-label="Deliveries" class="count">2</td>' in row
    assert "Acknowledge" in row
    assert 'hx-trigger="every 10s"' in page


def test_filters_narrow_the_list_and_the_refresh_keeps_them(org):
    prom, zabbix = integration(), integration("zbx", "zabbix")
    firing = fire(prom, "a")
    resolved = fire(prom, "b")
    fire(prom, "b", status="resolved", ends_at=timezone.now())
    other = fire(zabbix, "c")
    dropped = quiet_alert(prom)
    desk = browser(org.desk)

    def shown(query):
        page = desk.get(f"/work/alerts/?{query}").content.decode()
        return {a.pk for a in (firing, resolved, other, dropped) if row_of(page, a)}, page

    assert shown("status=resolved")[0] == {resolved.pk}
    assert shown("handling=dropped")[0] == {dropped.pk}
    assert shown(f"integration={zabbix.pk}")[0] == {other.pk}
    desk.post(f"/work/alerts/{firing.pk}/acknowledge/")
    rows, page = shown("unacknowledged=1&status=firing")
    assert rows == {other.pk, dropped.pk}
    assert 'hx-get="/work/alerts/?unacknowledged=1&amp;status=firing"' in page
    assert shown("status=bogus&integration=x")[0] == {firing.pk, resolved.pk, other.pk,
                                                      dropped.pk}


def test_the_refresh_answers_with_the_list_only(org):
    alert = fire(integration())
    page = browser(org.desk).get("/work/alerts/?status=firing", **HTMX).content.decode()
    assert "<html" not in page and 'id="alert-live"' in page and row_of(page, alert)


def test_the_list_pages_through_older_alerts(org):
    source = integration()
    now = timezone.now()
    Alert.objects.bulk_create([
        Alert(integration=source, fingerprint=f"f{n}", status="firing", summary=f"Alert {n}",
              last_seen_at=now - timedelta(minutes=n)) for n in range(55)])
    desk = browser(org.desk)
    first = desk.get("/work/alerts/?status=firing").content.decode()
    assert first.count("<tr data-alert=") == 50 and "Alert 0<" in first
    next_url = re.search(r'<a href="(\?[^"]*cursor=[^"]*)">Older alerts', first).group(1)
    second = desk.get("/work/alerts/" + next_url.replace("&amp;", "&")).content.decode()
    assert second.count("<tr data-alert=") == 5 and "Alert 54<" in second
    assert "Newest alerts" in second


def test_the_list_costs_the_same_queries_for_more_alerts(org, django_assert_max_num_queries):
    source = integration()
    fire(source, "first")
    failed_payload(source, {"x": 1})
    desk = browser(org.desk)
    desk.get("/work/alerts/")
    # session, user, alerts (with integration, incident, acknowledger), silences in force,
    # failed payloads and their count, integrations for the filter
    with django_assert_max_num_queries(CONSOLE_QUERIES):
        desk.get("/work/alerts/")
    for n in range(12):
        fire(integration(f"src{n}"), f"more{n}")
        failed_payload(source, {"x": n})
    Silence.objects.create(matchers=[["service", "=", "erp"]],
                           ends_at=timezone.now() + timedelta(hours=1))
    desk.post(f"/work/alerts/{Alert.objects.first().pk}/acknowledge/")
    with django_assert_max_num_queries(CONSOLE_QUERIES):
        page = desk.get("/work/alerts/").content.decode()
    assert page.count("<tr data-alert=") == 13 and page.count("<tr data-payload=") == 13


# --- the alert page ------------------------------------------------------------------------------

def test_the_alert_page_shows_labels_annotations_source_and_deliveries(org):
    source = integration()
    seen = {"annotations": {"runbook": "Restart the agent"},
            "generator_url": "https://prom.example.com/graph?g0.expr=up"}
    alert = fire(source, **seen)
    fire(source, status="resolved", ends_at=timezone.now(), **seen)
    page = browser(org.engineer).get(f"/work/alerts/{alert.pk}/").content.decode()
    assert "<dt>alertname</dt><dd>HighCPU</dd>" in page
    assert "Restart the agent" in page
    assert re.search(r'<a href="https://prom.example.com/graph\?g0.expr=up" '
                     r'rel="noopener noreferrer"', page)
    assert page.count("<td data-label=\"Outcome\">") == 2 and "Opened INC" in page
    assert ("Only the service desk and incident managers act on alerts; process owners and "
            "administrators may also silence them.") in page
    assert "/silence/" not in page and "/acknowledge/" not in page


def test_a_source_link_that_is_not_http_is_shown_as_text_only(org):
    alert = fire(integration(), generator_url="javascript:alert(1)")
    page = browser(org.desk).get(f"/work/alerts/{alert.pk}/").content.decode()
    assert 'href="javascript:' not in page and "javascript:alert(1)" in page


def test_an_unknown_alert_is_a_404(org):
    assert browser(org.desk).get("/work/alerts/999999/").status_code == 404


# --- actions -------------------------------------------------------------------------------------

def test_acknowledge_marks_the_alert_for_everyone(org):
    alert = fire(integration())
    desk = browser(org.desk)
    response = desk.post(f"/work/alerts/{alert.pk}/acknowledge/",
                         {"next": "/work/alerts/?status=firing"})
    assert response.status_code == 302 and response["Location"] == "/work/alerts/?status=firing"
    alert.refresh_from_db()
    assert alert.acknowledged_by == org.desk
    row = row_of(browser(org.engineer).get("/work/alerts/").content.decode(), alert)
    assert "acknowledged" in row and "Acknowledge</button>" not in row


def test_acknowledge_never_goes_to_another_site(org):
    alert = fire(integration())
    response = browser(org.desk).post(f"/work/alerts/{alert.pk}/acknowledge/",
                                      {"next": "https://evil.example.com/"})
    assert response["Location"] == f"/work/alerts/{alert.pk}/"


def test_silence_holds_alerts_with_these_labels_and_the_list_shows_it(org):
    source = integration()
    alert = fire(source)
    desk = browser(org.desk)
    response = desk.post(f"/work/alerts/{alert.pk}/silence/",
                         {"hours": "3", "comment": "Patching erp"}, follow=True)
    assert "Silenced until" in response.content.decode()
    silence = Silence.objects.get()
    assert silence.comment == "Patching erp" and silence.created_by == org.desk
    assert ["alertname", "=", "HighCPU"] in silence.matchers
    assert timedelta(hours=2, minutes=59) < silence.ends_at - timezone.now() <= timedelta(hours=3)
    assert "silenced until" in row_of(desk.get("/work/alerts/").content.decode(), alert)
    fire(source, "fp1", status="resolved", ends_at=timezone.now())
    fire(source, "fp1")
    assert Alert.objects.get(pk=alert.pk).handling == Alert.Handling.SILENCED


@pytest.mark.parametrize("hours", ["0", "-1", "abc", "", "100000"])
def test_a_silence_with_bad_hours_is_a_form_error(org, hours):
    alert = fire(integration())
    response = browser(org.desk).post(f"/work/alerts/{alert.pk}/silence/", {"hours": hours})
    assert response.status_code == 422
    assert field_errors(response.content.decode(), "hours")
    assert not Silence.objects.exists()


def test_link_puts_the_alert_on_the_typed_incident(org):
    source = integration()
    alert = quiet_alert(source)
    target = fire(source, "other", labels={"alertname": "Down", "service": "crm"}).incident
    response = browser(org.desk).post(f"/work/alerts/{alert.pk}/link/",
                                      {"number": f" {target.number.lower()} "}, follow=True)
    assert f"The alert is now on <a href=\"/incidents/{target.number}/\">" in \
        response.content.decode()
    alert.refresh_from_db()
    assert alert.incident == target and alert.handling == Alert.Handling.INCIDENT


def test_link_to_an_incident_the_desk_logged(org):
    alert = quiet_alert(integration())
    target = incident_in(30, org)
    response = browser(org.desk).post(f"/work/alerts/{alert.pk}/link/",
                                      {"number": target.number})
    assert response.status_code in (200, 302), "refused: " + response.content.decode()[-600:]
    alert.refresh_from_db()
    assert alert.incident == target


def test_link_to_an_unknown_or_finished_incident_is_refused_next_to_the_field(org):
    alert = quiet_alert(integration())
    desk = browser(org.desk)
    unknown = desk.post(f"/work/alerts/{alert.pk}/link/", {"number": "INC20990101-0001"})
    assert unknown.status_code == 422
    assert "was not found" in field_errors(unknown.content.decode(), "number")
    closed = incident_in(50, org)
    finished = desk.post(f"/work/alerts/{alert.pk}/link/", {"number": closed.number})
    assert finished.status_code == 422 and "is finished" in finished.content.decode()
    empty = desk.post(f"/work/alerts/{alert.pk}/link/", {"number": ""})
    assert empty.status_code == 422 and field_errors(empty.content.decode(), "number")
    alert.refresh_from_db()
    assert alert.incident_id is None


def test_open_an_incident_by_hand_and_refuse_a_second(org):
    alert = quiet_alert(integration())
    desk = browser(org.desk)
    response = desk.post(f"/work/alerts/{alert.pk}/incident/", follow=True)
    incident = Incident.objects.get()
    assert f"{incident.number}</a> is opened for this alert." in response.content.decode()
    assert incident.short_description == "Noisy alert"
    again = desk.post(f"/work/alerts/{alert.pk}/incident/", follow=True)
    assert again.status_code == 200 and "already on" in again.content.decode()
    assert Incident.objects.count() == 1


def test_actions_answer_htmx_with_the_alert_part_and_its_message(org):
    alert = fire(integration())
    desk = browser(org.desk)
    done = desk.post(f"/work/alerts/{alert.pk}/acknowledge/", **HTMX).content.decode()
    assert "<html" not in done and 'id="alert-detail"' in done
    assert "Alert acknowledged" in done and "acknowledged by" in done
    bad = desk.post(f"/work/alerts/{alert.pk}/silence/", {"hours": "0"}, **HTMX)
    assert bad.status_code == 422 and field_errors(bad.content.decode(), "hours")
    refused = desk.post(f"/work/alerts/{alert.pk}/incident/", **HTMX)
    assert refused.status_code == 422 and "already on" in refused.content.decode()


def test_actions_need_post(org):
    alert = fire(integration())
    assert browser(org.desk).get(f"/work/alerts/{alert.pk}/acknowledge/").status_code == 405


# --- failed payloads -----------------------------------------------------------------------------

def test_failed_payloads_are_listed_and_a_retry_processes_them(org):
    source = integration()
    payload = failed_payload(source, AM_BODY)
    desk = browser(org.desk)
    page = desk.get("/work/alerts/").content.decode()
    assert f'<tr data-payload="{payload.pk}">' in page and "no alerts list" in page
    response = desk.post(f"/work/alerts/payloads/{payload.pk}/retry/", follow=True)
    assert "is processed: 1 alerts" in response.content.decode()
    payload.refresh_from_db()
    assert payload.state == AlertPayload.State.PROCESSED
    assert Alert.objects.get().summary == "Disk full on db1"
    again = desk.post(f"/work/alerts/payloads/{payload.pk}/retry/", follow=True)
    assert "no longer waiting for a retry" in again.content.decode()


def test_a_retry_that_fails_again_says_why(org):
    payload = failed_payload(integration(), {"nothing": "here"})
    response = browser(org.admin).post(f"/work/alerts/payloads/{payload.pk}/retry/", follow=True)
    assert "failed again" in response.content.decode()
    payload.refresh_from_db()
    assert payload.state == AlertPayload.State.FAILED and payload.attempts == 1


def test_engineers_see_failed_payloads_without_a_retry_button(org):
    payload = failed_payload(integration(), AM_BODY)
    page = browser(org.engineer).get("/work/alerts/").content.decode()
    assert f'<tr data-payload="{payload.pk}">' in page
    assert f"/work/alerts/payloads/{payload.pk}/retry/" not in page


# --- process owners ------------------------------------------------------------------------------

def test_a_process_owner_reads_the_console_and_may_silence_but_not_triage(org):
    source = integration()
    alert = fire(source)
    owner = browser(org.owner)
    row = row_of(owner.get("/work/alerts/").content.decode(), alert)
    assert "CPU high on fp1" in row and "Acknowledge</button>" not in row and "not yet" in row
    page = owner.get(f"/work/alerts/{alert.pk}/").content.decode()
    assert f'action="/work/alerts/{alert.pk}/silence/"' in page
    assert f"/work/alerts/{alert.pk}/acknowledge/" not in page
    assert f"/work/alerts/{alert.pk}/link/" not in page
    assert f"/work/alerts/{alert.pk}/incident/" not in page
    assert ("Acknowledging alerts, linking them and opening incidents is the work of the "
            "service desk and incident managers.") in page
    response = owner.post(f"/work/alerts/{alert.pk}/silence/",
                          {"hours": "1", "comment": "Rule being tuned"}, follow=True)
    assert "Silenced until" in response.content.decode()
    assert Silence.objects.get().created_by == org.owner


# --- ending and extending a silence from the console ----------------------------------------------

def test_the_alert_page_ends_the_silence_holding_it_and_the_alert_fires_again(org):
    source = integration()
    silence = held(source, comment="Patching erp", created_by=org.desk)
    alert = fire(source)
    assert alert.handling == Alert.Handling.SILENCED
    desk = browser(org.desk)
    page = desk.get(f"/work/alerts/{alert.pk}/").content.decode()
    assert "Silence in force" in page and "Patching erp" in page and "Set by" in page
    assert f'action="/work/alerts/silences/{silence.pk}/end/"' in page
    done = desk.post(f"/work/alerts/silences/{silence.pk}/end/", {"alert": alert.pk},
                     **HTMX).content.decode()
    assert "<html" not in done and 'id="alert-detail"' in done
    assert ("The silence has ended. 1 alert it held is still firing: it opens an incident at "
            "its next delivery, or open one by hand.") in done
    assert "Silence in force" not in done and "silenced until" not in done
    silence.refresh_from_db()
    assert silence.ends_at <= timezone.now()
    fire(source)  # the next delivery of the still-firing alert
    alert.refresh_from_db()
    assert alert.handling == Alert.Handling.INCIDENT and alert.incident is not None


def test_extend_a_silence_from_the_alert_page(org):
    source = integration()
    silence = held(source, hours=2)
    alert = fire(source)
    end = silence.ends_at
    desk = browser(org.desk)
    response = desk.post(f"/work/alerts/silences/{silence.pk}/extend/",
                         {"alert": alert.pk, "hours": "3"}, follow=True)
    silence.refresh_from_db()
    assert silence.ends_at == end + timedelta(hours=3)
    page = response.content.decode()
    assert "The silence now lasts until" in page and response.redirect_chain[-1][0] == \
        f"/work/alerts/{alert.pk}/"
    assert timezone.localtime(silence.ends_at).strftime("%Y-%m-%d %H:%M") in page


@pytest.mark.parametrize("hours, message", [
    ("0", "greater than or equal to 1"), ("abc", "whole number"),
    ("719", "at most 30 days from now")])
def test_a_bad_extension_is_a_form_error_and_changes_nothing(org, hours, message):
    source = integration()
    silence = held(source, hours=2)
    alert = fire(source)
    response = browser(org.desk).post(f"/work/alerts/silences/{silence.pk}/extend/",
                                      {"alert": alert.pk, "hours": hours}, **HTMX)
    assert response.status_code == 422
    assert message in field_errors(response.content.decode(), "hours")
    assert Silence.objects.get().ends_at == silence.ends_at


def test_the_console_lists_silences_in_force_and_ends_or_extends_them(org):
    source = integration()
    once = held(source, comment="Patching erp", created_by=org.desk)
    start = timezone.now() - timedelta(minutes=30)
    weekly = Silence.objects.create(kind="maintenance", matchers=[["host", "=", "db1"]],
                                    starts_at=start, ends_at=start + timedelta(hours=2),
                                    repeat="weekly", comment="Weekly patching")
    Silence.objects.create(matchers=[["a", "=", "b"]], starts_at=start - timedelta(days=2),
                           ends_at=start - timedelta(days=1), comment="Long over")
    desk = browser(org.desk)
    page = desk.get("/work/alerts/").content.decode()
    section = page[page.index('<section id="silences"'):]
    assert "Patching erp" in section and "Weekly patching" in section
    assert "Long over" not in section
    assert f'action="/work/alerts/silences/{once.pk}/end/"' in section
    assert f"/work/alerts/silences/{weekly.pk}/end/" not in section
    assert "changed under Settings" in section
    response = desk.post(f"/work/alerts/silences/{once.pk}/extend/",
                         {"hours": "2", "next": "/work/alerts/?status=firing"})
    assert response["Location"] == "/work/alerts/?status=firing"
    response = desk.post(f"/work/alerts/silences/{once.pk}/end/", follow=True)
    assert response.redirect_chain[-1][0] == "/work/alerts/#silences"
    assert "The silence has ended." in response.content.decode()
    engineer_page = browser(org.engineer).get("/work/alerts/").content.decode()
    assert "Weekly patching" in engineer_page and "/end/" not in engineer_page


def test_a_repeating_window_or_an_ended_silence_is_refused_with_a_message(org):
    source = integration()
    start = timezone.now() - timedelta(minutes=30)
    weekly = Silence.objects.create(kind="maintenance", matchers=[["host", "=", "db1"]],
                                    starts_at=start, ends_at=start + timedelta(hours=2),
                                    repeat="weekly")
    desk = browser(org.desk)
    refused = desk.post(f"/work/alerts/silences/{weekly.pk}/end/", follow=True).content.decode()
    assert "This maintenance window repeats: change or end it under Settings" in refused
    weekly.refresh_from_db()
    assert weekly.repeat == "weekly" and weekly.occurrence_end(timezone.now())
    over = held(source)
    Silence.objects.filter(pk=over.pk).update(ends_at=timezone.now() - timedelta(minutes=1))
    page = desk.post(f"/work/alerts/silences/{over.pk}/extend/", {"hours": "1"},
                     follow=True).content.decode()
    assert "This silence has ended; silence the alert again instead." in page
    again = desk.post(f"/work/alerts/silences/{over.pk}/end/", follow=True).content.decode()
    assert "This silence had already ended." in again
    assert desk.post("/work/alerts/silences/999999/end/").status_code == 404
