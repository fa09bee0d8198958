"""Intake settings: alert integrations (their URL shown once), filter rules, silences, mailboxes
and the mail quarantine; who may use them, each change as the owner would check it, bad input."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.utils import timezone

from opsdesk.core.testing.factories import UserFactory
from opsdesk.core.testing.matrix import ALLOW, DENY, check_matrix_complete, matrix_cases
from opsdesk.incidents.models import Incident
from opsdesk.intake.models import AlertIntegration, AlertRule, InboundMail, Mailbox, Silence
from opsdesk.intake.services.payloads import integration_for_token

ROLES = ("requester", "desk", "engineer", "manager", "owner", "admin")
PAGES = ("/settings/intake/integrations/", "/settings/intake/integrations/new/",
         "/settings/intake/rules/", "/settings/intake/rules/new/",
         "/settings/intake/silences/", "/settings/intake/silences/new/",
         "/settings/intake/mailboxes/", "/settings/intake/mailboxes/new/",
         "/settings/intake/mails/", "/settings/intake/mails/?state=ignored")
ONLY_OWNER_AND_ADMIN = {"requester": DENY, "desk": DENY, "engineer": DENY, "manager": DENY,
                        "owner": ALLOW, "admin": ALLOW}
ACCESS = {page: dict(ONLY_OWNER_AND_ADMIN) for page in PAGES}
check_matrix_complete(ACCESS, actions=PAGES, roles=ROLES)
URL_RE = re.compile(r'value="(http://testserver/api/v1/intake/alerts/([\w-]+))"')
MAIL = (b"From: Li Lei <lilei@example.com>\r\nTo: help@example.com\r\n"
        b"Subject: Printer jammed\r\nMessage-ID: <q1@example.com>\r\n"
        b"Date: Mon, 24 Nov 2025 09:00:00 +0800\r\n\r\nThe printer on floor 3 is jammed.\r\n")


def browser(user):
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(user)
    return client


def field_errors(page: str, name: str) -> str:
    match = re.search(rf'<ul class="errors" id="id_{name}_error" role="alert">(.*?)</ul>',
                      page, re.DOTALL)
    return match.group(1) if match else ""


def integration_post(**values) -> dict:
    data = {"name": "prom", "kind": "alertmanager", "is_active": "on", "group_by": "",
            "severity_map": '{"critical": [1, 1]}', "when_resolved": "resolve",
            "flap_minutes": "15", "rate_limit_per_minute": "600", "max_payload_kib": "512",
            "field_mapping": "", "senders": ""}
    data.update(values)
    return data


def made_integration(name="prom") -> AlertIntegration:
    made = AlertIntegration(name=name, kind="alertmanager")
    made.token_new()
    made.save()
    return made


def mailbox_post(**values) -> dict:
    data = {"name": "help", "address": "help@example.com", "host": "imap.example.com",
            "port": "993", "security": "tls", "username": "help", "auth_method": "password",
            "oauth_grant": "client_credentials", "password": "s3cret",
            "folder": "INBOX", "after_store": "seen", "move_to_folder": "", "poll_seconds": "60",
            "is_active": "on", "create_contacts": "on"}
    data.update(values)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def quarantined(state=InboundMail.State.QUARANTINED, note="Parse error: no body") -> InboundMail:
    mail = InboundMail(dedup_key=f"key-{state}", subject="Printer jammed", state=state,
                       from_address="lilei@example.com", note=note, size=len(MAIL))
    mail.raw.save("m.eml", ContentFile(MAIL), save=False)
    mail.save()
    return mail


# --- who may use them ----------------------------------------------------------------------------

@pytest.mark.parametrize("page, role, expected", matrix_cases(ACCESS))
def test_who_may_open_each_intake_settings_page(org, page, role, expected):
    response = browser(getattr(org, role)).get(page)
    assert response.status_code == (200 if expected == ALLOW else 403)


def test_denied_people_cannot_post_or_download_either(org, media):
    source, mail = made_integration(), quarantined()
    mailbox = Mailbox.objects.create(name="mb", address="a@example.com", host="localhost",
                                     username="u", security="plain", port=1)
    digest = source.token_digest
    manager = browser(org.manager)
    posts = {"/settings/intake/integrations/new/": integration_post(name="other"),
             f"/settings/intake/integrations/{source.pk}/": integration_post(name="renamed"),
             f"/settings/intake/integrations/{source.pk}/token/": {},
             "/settings/intake/rules/new/": {"position": "1", "action": "drop",
                                             "matchers": "a = b", "is_active": "on"},
             "/settings/intake/mailboxes/new/": mailbox_post(),
             f"/settings/intake/mailboxes/{mailbox.pk}/poll/": {},
             f"/settings/intake/mailboxes/{mailbox.pk}/test/": {},
             f"/settings/intake/mails/{mail.pk}/retry/": {}}
    for url, data in posts.items():
        assert manager.post(url, data).status_code == 403, url
    assert browser(org.desk).get(f"/settings/intake/mails/{mail.pk}/original/").status_code == 403
    source.refresh_from_db()
    mail.refresh_from_db()
    assert source.name == "prom" and source.token_digest == digest
    assert AlertIntegration.objects.count() == 1 and not AlertRule.objects.exists()
    assert Mailbox.objects.count() == 1 and mail.state == InboundMail.State.QUARANTINED


def test_the_settings_index_links_the_intake_pages(org):
    page = browser(org.owner).get("/settings/").content.decode()
    assert 'href="/settings/intake/integrations/"' in page
    assert 'href="/settings/intake/mailboxes/"' in page


# --- alert integrations --------------------------------------------------------------------------

def test_a_new_integration_shows_its_url_once_and_the_url_works(org):
    owner = browser(org.owner)
    response = owner.post("/settings/intake/integrations/new/", integration_post())
    integration = AlertIntegration.objects.get()
    assert response["Location"] == f"/settings/intake/integrations/{integration.pk}/"
    page = owner.get(response["Location"]).content.decode()
    token = URL_RE.search(page).group(2)
    assert "it will not be shown again" in page
    assert integration_for_token(token) == integration
    assert integration.token_hint == "…" + token[-4:]
    assert integration.severity_map == {"critical": [1, 1]}
    assert integration.rate_limit_per_minute == 600 and integration.max_payload_kib == 512
    again = owner.get(response["Location"]).content.decode()
    assert token not in again and not URL_RE.search(again)
    assert integration.token_hint in again
    listing = owner.get("/settings/intake/integrations/").content.decode()
    assert integration.token_hint in listing and token not in listing


def test_a_new_token_replaces_the_old_url(org):
    integration = made_integration()
    owner = browser(org.owner)
    old_digest = integration.token_digest
    response = owner.post(f"/settings/intake/integrations/{integration.pk}/token/")
    page = owner.get(response["Location"]).content.decode()
    token = URL_RE.search(page).group(2)
    assert integration_for_token(token) == integration
    integration.refresh_from_db()
    assert integration.token_digest != old_digest
    assert owner.get(response["Location"]).content.decode().count(token) == 0


def test_editing_an_integration_keeps_its_url(org):
    integration = made_integration()
    digest = integration.token_digest
    owner = browser(org.owner)
    response = owner.post(f"/settings/intake/integrations/{integration.pk}/", integration_post(
        name="prom-prod", kind="generic", flap_minutes="30", when_resolved="flag",
        field_mapping='{"summary": "title", "alerts": "events"}', default_group=""))
    assert response.status_code == 302
    assert not URL_RE.search(owner.get(response["Location"]).content.decode())
    integration.refresh_from_db()
    assert (integration.name, integration.kind, integration.flap_minutes) == ("prom-prod",
                                                                              "generic", 30)
    assert integration.field_mapping == {"summary": "title", "alerts": "events"}
    assert integration.when_resolved == "flag" and integration.token_digest == digest


@pytest.mark.parametrize("field, value, message", [
    ("severity_map", '{"critical": [1, 1}', "not valid JSON"),
    ("severity_map", '["critical"]', "JSON object"),
    ("severity_map", '{"critical": "high"}', "two whole numbers"),
    ("severity_map", '{"critical": [9, 1]}', "no such impact or urgency"),
    ("field_mapping", '{"titel": "x"}', "Unknown fields: titel"),
    ("field_mapping", "nonsense", "not valid JSON"),
    ("rate_limit_per_minute", "0", "greater than or equal to 1"),
    ("name", "", "required"),
])
def test_bad_integration_settings_are_form_errors(org, field, value, message):
    response = browser(org.owner).post("/settings/intake/integrations/new/",
                                       integration_post(**{field: value}))
    assert response.status_code == 422
    assert message in field_errors(response.content.decode(), field)
    assert not AlertIntegration.objects.exists()


def test_a_duplicate_name_is_a_form_error(org):
    made_integration("prom")
    response = browser(org.owner).post("/settings/intake/integrations/new/", integration_post())
    assert response.status_code == 422 and field_errors(response.content.decode(), "name")


# --- filter rules --------------------------------------------------------------------------------

def test_a_rule_is_written_as_lines_and_stored_as_matchers(org):
    integration = made_integration()
    owner = browser(org.owner)
    response = owner.post("/settings/intake/rules/new/", {
        "integration": integration.pk, "position": "5", "action": "drop", "is_active": "on",
        "matchers": "alertname = Watchdog\r\nseverity =~ \"info|none\"\r\n\r\nenv!=prod"})
    assert response.status_code == 302
    rule = AlertRule.objects.get()
    assert rule.matchers == [["alertname", "=", "Watchdog"], ["severity", "=~", "info|none"],
                             ["env", "!=", "prod"]]
    assert rule.integration == integration and rule.position == 5
    listing = owner.get("/settings/intake/rules/").content.decode()
    assert "<code>severity =~ info|none</code>" in listing
    edit = owner.get(f"/settings/intake/rules/{rule.pk}/").content.decode()
    assert "alertname = Watchdog\nseverity =~ info|none\nenv != prod" in edit


@pytest.mark.parametrize("lines, message", [
    ("just words", "Line 1: write"), ("a = b\nsev =~ (", "Line 2: “(” is not a valid regular"),
    ("", "required")])
def test_bad_matchers_are_form_errors(org, lines, message):
    response = browser(org.owner).post("/settings/intake/rules/new/", {
        "position": "1", "action": "drop", "matchers": lines})
    assert response.status_code == 422
    assert message in field_errors(response.content.decode(), "matchers")
    assert not AlertRule.objects.exists()


def test_a_rule_can_be_changed_and_deleted(org):
    rule = AlertRule.objects.create(action="drop", matchers=[["a", "=", "b"]])
    owner = browser(org.owner)
    owner.post(f"/settings/intake/rules/{rule.pk}/", {"position": "9", "action": "keep",
                                                     "matchers": "c != d"})
    rule.refresh_from_db()
    assert (rule.action, rule.position, rule.matchers, rule.is_active) == (
        "keep", 9, [["c", "!=", "d"]], False)
    assert owner.post(f"/settings/intake/rules/{rule.pk}/delete/").status_code == 302
    assert not AlertRule.objects.exists()


# --- silences and maintenance windows ------------------------------------------------------------

def test_a_maintenance_window_is_entered_in_the_readers_time_zone(org):
    org.owner.time_zone = "Asia/Tokyo"
    org.owner.save(update_fields=["time_zone"])
    owner = browser(org.owner)
    response = owner.post("/settings/intake/silences/new/", {
        "kind": "maintenance", "matchers": "host = db1", "starts_at": "2030-03-01T10:00",
        "ends_at": "2030-03-01T12:30", "comment": "Disk swap"})
    assert response.status_code == 302
    window = Silence.objects.get()
    assert window.starts_at == datetime(2030, 3, 1, 1, 0, tzinfo=UTC)
    assert window.ends_at == datetime(2030, 3, 1, 3, 30, tzinfo=UTC)
    assert window.created_by == org.owner and window.matchers == [["host", "=", "db1"]]
    listing = owner.get("/settings/intake/silences/").content.decode()
    assert "2030-03-01 10:00" in listing and "planned" in listing
    edit = owner.get(f"/settings/intake/silences/{window.pk}/").content.decode()
    assert 'value="2030-03-01T10:00"' in edit


@pytest.mark.parametrize("values, field", [
    ({"ends_at": "2030-03-01T09:00"}, "ends_at"),
    ({"matchers": ""}, "matchers"),
    ({"starts_at": "tomorrow"}, "starts_at"),
    ({"matchers": "host ~ db"}, "matchers"),
    ({"repeat": "daily", "ends_at": "2030-03-02T11:00"}, "repeat"),
    ({"repeat": "weekly", "repeat_until": "2030-02-01T00:00"}, "repeat_until")])
def test_bad_silences_are_form_errors(org, values, field):
    data = {"kind": "silence", "matchers": "host = db1", "starts_at": "2030-03-01T10:00",
            "ends_at": "2030-03-01T12:00", **values}
    response = browser(org.owner).post("/settings/intake/silences/new/", data)
    assert response.status_code == 422 and field_errors(response.content.decode(), field)
    assert not Silence.objects.exists()


def test_a_repeating_window_keeps_the_time_zone_of_whoever_saved_it(org):
    org.owner.time_zone = "Europe/Berlin"
    org.owner.save(update_fields=["time_zone"])
    response = browser(org.owner).post("/settings/intake/silences/new/", {
        "kind": "maintenance", "matchers": "host = db1", "starts_at": "2030-01-06T02:00",
        "ends_at": "2030-01-06T04:00", "repeat": "daily"})
    assert response.status_code == 302
    window = Silence.objects.get()
    assert window.time_zone == "Europe/Berlin"
    summer = datetime(2030, 7, 1, 0, 30, tzinfo=UTC)  # 02:30 in Berlin, summer time
    assert window.occurrence_end(summer) == datetime(2030, 7, 1, 2, 0, tzinfo=UTC)
    # A colleague in Shanghai changes the comment: the window stays a Berlin one.
    response = browser(org.admin).post(f"/settings/intake/silences/{window.pk}/", {
        "kind": "maintenance", "matchers": "host = db1", "starts_at": "2030-01-06T09:00",
        "ends_at": "2030-01-06T11:00", "repeat": "daily", "comment": "Backups"})
    assert response.status_code == 302
    window.refresh_from_db()
    assert (window.comment, window.time_zone) == ("Backups", "Europe/Berlin")
    assert window.occurrence_end(summer) == datetime(2030, 7, 1, 2, 0, tzinfo=UTC)


def test_a_weekly_window_is_listed_with_its_repetition_and_in_force_when_it_recurs(org):
    now = timezone.now()
    first = now - timedelta(weeks=2, minutes=30)
    Silence.objects.create(kind="maintenance", matchers=[["host", "=", "db1"]],
                           starts_at=first, ends_at=first + timedelta(hours=2), repeat="weekly",
                           comment="Weekly patching")
    owner = browser(org.owner)
    listing = owner.get("/settings/intake/silences/").content.decode()
    assert "every week" in listing and "in force" in listing
    response = owner.post("/settings/intake/silences/new/", {
        "kind": "maintenance", "matchers": "host = db2", "starts_at": "2030-03-03T02:00",
        "ends_at": "2030-03-03T04:00", "repeat": "weekly", "repeat_until": "2030-06-01T00:00"})
    assert response.status_code == 302
    saved = Silence.objects.get(matchers=[["host", "=", "db2"]])
    assert saved.repeat == "weekly" and saved.repeat_until.year == 2030


def test_a_silence_can_be_ended_now_and_deleted(org):
    now = timezone.now()
    silence = Silence.objects.create(matchers=[["a", "=", "b"]], starts_at=now - timedelta(hours=1),
                                     ends_at=now + timedelta(hours=5))
    owner = browser(org.owner)
    assert "in force" in owner.get("/settings/intake/silences/").content.decode()
    owner.post(f"/settings/intake/silences/{silence.pk}/expire/")
    silence.refresh_from_db()
    assert silence.ends_at <= timezone.now()
    assert "ended" in owner.get("/settings/intake/silences/").content.decode()
    owner.post(f"/settings/intake/silences/{silence.pk}/delete/")
    assert not Silence.objects.exists()


# --- mailboxes -----------------------------------------------------------------------------------

def test_a_mailbox_password_is_write_only(org):
    owner = browser(org.owner)
    assert owner.post("/settings/intake/mailboxes/new/", mailbox_post()).status_code == 302
    mailbox = Mailbox.objects.get()
    assert mailbox.password == "s3cret"
    edit = owner.get(f"/settings/intake/mailboxes/{mailbox.pk}/").content.decode()
    assert "s3cret" not in edit and "A password is saved" in edit
    owner.post(f"/settings/intake/mailboxes/{mailbox.pk}/", mailbox_post(password="",
                                                                         folder="Support"))
    mailbox.refresh_from_db()
    assert mailbox.password == "s3cret" and mailbox.folder == "Support"
    owner.post(f"/settings/intake/mailboxes/{mailbox.pk}/", mailbox_post(password="n3w"))
    mailbox.refresh_from_db()
    assert mailbox.password == "n3w"


@pytest.mark.parametrize("values, field", [
    ({"security": "plain", "host": "mail.example.com"}, "security"),
    ({"after_store": "move", "move_to_folder": ""}, "move_to_folder"),
    ({"address": "not an address"}, "address"),
    ({"poll_seconds": "1"}, "poll_seconds")])
def test_bad_mailbox_settings_are_form_errors(org, values, field):
    response = browser(org.owner).post("/settings/intake/mailboxes/new/", mailbox_post(**values))
    assert response.status_code == 422 and field_errors(response.content.decode(), field)
    assert not Mailbox.objects.exists()


def oauth_post(**values) -> dict:
    return mailbox_post(**{
        "host": "outlook.office365.com", "username": "help@example.com", "password": "",
        "auth_method": "oauth2", "oauth_grant": "client_credentials",
        "oauth_token_url": "https://login.microsoftonline.com/contoso/oauth2/v2.0/token",
        "oauth_client_id": "8d2c-app", "oauth_client_secret": "app-s3cret",
        "oauth_scope": "https://outlook.office365.com/.default", "oauth_refresh_token": "",
        **values})


def raw_column(mailbox: Mailbox, column: str) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM intake_mailbox WHERE id = %s", [mailbox.pk])
        return cursor.fetchone()[0]


def test_an_oauth2_mailbox_keeps_its_secrets_write_only_and_encrypted(org):
    owner = browser(org.owner)
    assert owner.post("/settings/intake/mailboxes/new/", oauth_post()).status_code == 302
    mailbox = Mailbox.objects.get()
    assert (mailbox.auth_method, mailbox.oauth_client_id, mailbox.oauth_client_secret) == (
        "oauth2", "8d2c-app", "app-s3cret")
    assert "app-s3cret" not in raw_column(mailbox, "oauth_client_secret")
    edit = owner.get(f"/settings/intake/mailboxes/{mailbox.pk}/").content.decode()
    assert "app-s3cret" not in edit and "A client secret is saved" in edit
    assert 'value="https://login.microsoftonline.com/contoso/oauth2/v2.0/token"' in edit
    listing = owner.get("/settings/intake/mailboxes/").content.decode()
    assert "OAuth2 (XOAUTH2)" in listing
    owner.post(f"/settings/intake/mailboxes/{mailbox.pk}/", oauth_post(
        oauth_client_secret="", oauth_grant="refresh_token", oauth_refresh_token="1//rt-gmail",
        oauth_scope="https://mail.google.com/"))
    mailbox.refresh_from_db()
    assert mailbox.oauth_client_secret == "app-s3cret"  # blank kept it
    assert (mailbox.oauth_grant, mailbox.oauth_refresh_token) == ("refresh_token",
                                                                  "1//rt-gmail")
    assert "1//rt-gmail" not in raw_column(mailbox, "oauth_refresh_token")
    edit = owner.get(f"/settings/intake/mailboxes/{mailbox.pk}/").content.decode()
    assert "1//rt-gmail" not in edit and "A refresh token is saved" in edit


@pytest.mark.parametrize("values, field", [
    ({"oauth_token_url": "http://login.example.com/token"}, "oauth_token_url"),
    ({"oauth_token_url": "not a url"}, "oauth_token_url"),
    ({"oauth_client_id": ""}, "oauth_client_id"),
    ({"oauth_client_secret": ""}, "oauth_client_secret"),
    ({"oauth_grant": "refresh_token"}, "oauth_refresh_token"),
    ({"auth_method": "kerberos"}, "auth_method")])
def test_bad_oauth2_settings_are_form_errors(org, values, field):
    response = browser(org.owner).post("/settings/intake/mailboxes/new/", oauth_post(**values))
    assert response.status_code == 422 and field_errors(response.content.decode(), field)
    assert not Mailbox.objects.exists()


def test_test_the_connection_says_why_it_failed_and_records_it(org):
    from opsdesk.intake.testing.dovecot import free_port

    mailbox = Mailbox.objects.create(name="local", address="help@example.com", host="127.0.0.1",
                                     port=free_port(), security="plain", username="u",
                                     password="p")
    response = browser(org.owner).post(f"/settings/intake/mailboxes/{mailbox.pk}/test/",
                                       follow=True)
    assert response.redirect_chain[-1][0] == f"/settings/intake/mailboxes/{mailbox.pk}/"
    page = response.content.decode()
    assert "The connection to local failed: ConnectionRefusedError" in page
    mailbox.refresh_from_db()
    assert "ConnectionRefusedError" in mailbox.last_error and mailbox.last_polled_at is None


def test_poll_now_reports_a_failure_and_records_it(org):
    mailbox = Mailbox.objects.create(name="local", address="help@example.com", host="127.0.0.1",
                                     port=9, security="plain", username="u", password="p")
    response = browser(org.admin).post(f"/settings/intake/mailboxes/{mailbox.pk}/poll/",
                                       follow=True)
    page = response.content.decode()
    assert "Polling local failed" in page
    mailbox.refresh_from_db()
    assert mailbox.last_error and mailbox.last_polled_at
    assert f'<tr data-mailbox="{mailbox.pk}">' in page and "never" not in page


def test_poll_now_says_how_many_mails_were_new(org, monkeypatch):
    mailbox = Mailbox.objects.create(name="help", address="help@example.com", host="localhost",
                                     security="plain", username="u")
    monkeypatch.setattr("opsdesk.web.views.settings_mail.mailbox_poll", lambda mailbox: 2)
    response = browser(org.owner).post(f"/settings/intake/mailboxes/{mailbox.pk}/poll/",
                                       follow=True)
    assert "help: 2 new mails." in response.content.decode()


# --- the mail quarantine -------------------------------------------------------------------------

def test_the_quarantine_lists_mails_and_a_retry_processes_them(org, media):
    mail = quarantined()
    ignored = quarantined(InboundMail.State.IGNORED, note="auto-reply")
    owner = browser(org.owner)
    page = owner.get("/settings/intake/mails/").content.decode()
    row = re.search(rf'<tr data-mail="{mail.pk}">.*?</tr>', page, re.DOTALL).group(0)
    assert "Printer jammed" in row and "lilei@example.com" in row and "Parse error" in row
    assert f'<tr data-mail="{ignored.pk}">' not in page
    tab = owner.get("/settings/intake/mails/?state=ignored").content.decode()
    assert f'<tr data-mail="{ignored.pk}">' in tab and "Retry" not in tab
    # Without a mailbox that creates contacts, an unknown sender stays in the quarantine …
    response = owner.post(f"/settings/intake/mails/{mail.pk}/retry/", follow=True)
    assert "still quarantined: MailRejected: Unknown sender" in response.content.decode()
    # … until the administrator adds the person, and the retry goes through.
    UserFactory(username="lilei", email="lilei@example.com")
    response = owner.post(f"/settings/intake/mails/{mail.pk}/retry/", follow=True)
    mail.refresh_from_db()
    assert mail.state == InboundMail.State.PROCESSED, mail.note
    assert "The mail is processed" in response.content.decode()
    assert Incident.objects.get().short_description == "Printer jammed"


def test_retrying_a_mail_that_is_not_quarantined_is_a_message(org, media):
    mail = quarantined(InboundMail.State.IGNORED)
    response = browser(org.owner).post(f"/settings/intake/mails/{mail.pk}/retry/", follow=True)
    assert response.status_code == 200 and "Only a quarantined mail" in response.content.decode()


def test_the_original_mail_downloads_as_eml(org, media):
    mail = quarantined()
    response = browser(org.admin).get(f"/settings/intake/mails/{mail.pk}/original/")
    assert response.status_code == 200
    assert response["Content-Type"] == "message/rfc822"
    assert response["Content-Disposition"].startswith("attachment;")
    assert b"".join(response.streaming_content) == MAIL
    assert browser(org.owner).get("/settings/intake/mails/99999/original/").status_code == 404


def test_an_unknown_quarantine_tab_is_a_404(org):
    assert browser(org.owner).get("/settings/intake/mails/?state=processed").status_code == 404


def test_the_lists_cost_the_same_queries_for_more_rows(org, django_assert_max_num_queries):
    owner, pages = browser(org.owner), [p for p in PAGES if not p.endswith("/new/")]

    def add_rows(n: int) -> None:
        source, end = made_integration(f"src{n}"), timezone.now() + timedelta(hours=1)
        AlertRule.objects.create(integration=source, action="drop", matchers=[["a", "=", "b"]])
        Silence.objects.create(integration=source, created_by=org.desk, ends_at=end)
        mailbox = Mailbox.objects.create(name=f"mb{n}", address="a@example.com", host="h",
                                         username="u")
        for state in ("quarantined", "ignored"):
            InboundMail.objects.create(dedup_key=f"k{n}{state}", mailbox=mailbox, state=state)

    add_rows(0)
    owner.get(pages[0])  # warm the per-process caches (code tables, the MFA policy)
    for page in pages:
        with django_assert_max_num_queries(4):
            owner.get(page)
    for n in range(1, 6):
        add_rows(n)
    for page in pages:
        with django_assert_max_num_queries(4):
            assert owner.get(page).status_code == 200
