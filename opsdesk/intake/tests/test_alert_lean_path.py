"""Alert posts as the server really receives them: through config/wsgi.py's application.

Django's test client never goes through config/wsgi.py, so it always reaches the documented
django-ninja route. gunicorn (and runserver) call config.wsgi.application, which sends alert
posts to a lean handler. These tests call that application the way a WSGI server does, and
check that the lean path answers exactly as the documented route does, and that every other
URL still gets the full middleware (sessions, CSRF).
"""

import io
import json
import sys
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from config import wsgi
from opsdesk.intake.models import AlertIntegration, AlertPayload
from opsdesk.intake.services.payloads import payloads_sweep

ALERTS = Path(__file__).resolve().parents[3].parent / "shared" / "fixtures" / "alerts"
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture(autouse=True)
def _fresh_rate_windows():
    cache.clear()


class Answer:
    def __init__(self, status: str, headers: list, body: bytes):
        self.status_code = int(status.split()[0])
        self.headers = {name.lower(): value for name, value in headers}
        self.cookies = [value.strip() for name, value in headers if name.lower() == "set-cookie"]
        self.content = body

    def json(self):
        return json.loads(self.content)


def wsgi_call(method: str, path: str, body: bytes = b"", *, between_requests: bool = False,
              **extra) -> Answer:
    """What gunicorn does with one request: build the environ, call the application.

    Like Django's test client, the database connection is left alone at the request's start
    and end (it holds the test's transaction), unless between_requests: then it is closed or
    kept as the server would (CONN_MAX_AGE), for tests without a transaction of their own.
    """
    environ = {
        "REQUEST_METHOD": method, "PATH_INFO": path, "SCRIPT_NAME": "", "QUERY_STRING": "",
        "SERVER_NAME": "testserver", "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "testserver", "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)), "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "http", "wsgi.errors": sys.stderr, "wsgi.multithread": True,
        "wsgi.multiprocess": True, "wsgi.run_once": False, **extra}
    started = {}

    def start_response(status, headers, exc_info=None):
        started.update(status=status, headers=headers)

    if not between_requests:
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
    try:
        response = wsgi.application(environ, start_response)
        try:
            content = b"".join(response)
        finally:
            response.close()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    return Answer(started["status"], started["headers"], content)


def post(path: str, body, **extra) -> Answer:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return wsgi_call("POST", path, data, **extra)


def integration_with_url(**fields) -> tuple[AlertIntegration, str]:
    integration = AlertIntegration(name=fields.pop("name", "lean"), kind="alertmanager",
                                   **fields)
    token = integration.token_new()
    integration.save()
    return integration, f"/api/v1/intake/alerts/{token}"


@pytest.mark.django_db
def test_an_alert_posted_to_the_server_is_stored_answered_202_and_processed():
    _, url = integration_with_url()
    response = post(url, (ALERTS / "alertmanager_v4_firing.json").read_bytes(), **EN)
    assert response.status_code == 202
    assert response.json() == {"payload": AlertPayload.objects.get().pk,
                               "detail": "Accepted; it will be processed shortly."}
    payloads_sweep()
    assert AlertPayload.objects.get().state == "processed"
    assert AlertPayload.objects.get().body == (ALERTS / "alertmanager_v4_firing.json").read_text()


@pytest.mark.django_db
def test_the_lean_path_answers_like_the_documented_route(client):
    """Same status, body and headers as django-ninja's route through the full middleware."""
    _, url = integration_with_url()
    lean = post(url, {"alerts": []}, **EN)
    documented = client.post(url, data=b'{"alerts": []}', content_type="application/json", **EN)
    assert lean.status_code == documented.status_code == 202
    assert lean.json()["detail"] == documented.json()["detail"]
    assert sorted([lean.json()["payload"], documented.json()["payload"]]) == list(
        AlertPayload.objects.order_by("id").values_list("id", flat=True))
    for header in ("content-type", "content-language", "x-content-type-options",
                   "x-frame-options", "referrer-policy", "content-length"):
        assert lean.headers[header] == documented.headers[header], header
    assert lean.headers["x-frame-options"] == "DENY"
    assert lean.headers["x-content-type-options"] == "nosniff"
    assert "Accept-Language" in lean.headers["vary"]
    assert lean.cookies == []  # no session, no CSRF cookie


@pytest.mark.django_db
def test_the_lean_path_refuses_an_unknown_token_a_big_body_bad_json_and_a_flood():
    _, url = integration_with_url(max_payload_kib=1)
    unknown = post("/api/v1/intake/alerts/not-a-token", {"alerts": []}, **EN)
    assert unknown.status_code == 404 and "URL" in unknown.json()["detail"]
    big = post(url, {"alerts": [], "pad": "x" * 2000}, **EN)
    assert big.status_code == 413 and "1 KiB" in big.json()["detail"]
    bad = post(url, b'{"alerts": [', **EN)
    assert bad.status_code == 422
    assert "JSON" in bad.json()["detail"] and bad.json()["errors"]["body"]
    assert AlertPayload.objects.count() == 0  # nothing half-stored by any refusal

    _, limited_url = integration_with_url(name="limited", rate_limit_per_minute=1)
    assert post(limited_url, {"alerts": []}, **EN).status_code == 202
    limited = post(limited_url, {"alerts": []}, **EN)
    assert limited.status_code == 429
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    assert "Retry in" in limited.json()["detail"]
    assert AlertPayload.objects.count() == 1


@pytest.mark.django_db
def test_the_lean_path_explains_refusals_in_the_requested_language():
    _, url = integration_with_url(rate_limit_per_minute=1)
    zh = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
    accepted = post(url, {"alerts": []}, **zh)
    assert accepted.status_code == 202 and accepted.headers["content-language"] == "zh-hans"
    assert "请在" in post(url, {"alerts": []}, **zh).json()["detail"]
    assert "集成" in post("/api/v1/intake/alerts/nope", {}, **zh).json()["detail"]
    assert "Retry in" in post(url, {"alerts": []}, **EN).json()["detail"]


@pytest.mark.django_db(transaction=True)
def test_a_post_to_a_remembered_integration_is_one_insert():
    """Token remembered and the drain queued a moment ago: the post is the payload's INSERT."""
    _, url = integration_with_url()
    assert post(url, {"alerts": []}, between_requests=True).status_code == 202  # token, drain
    with CaptureQueriesContext(connection) as queries:
        assert post(url, {"alerts": []}, between_requests=True).status_code == 202
    assert len(queries) == 1, [q["sql"] for q in queries]
    table = connection.ops.quote_name(AlertPayload._meta.db_table)
    assert queries[0]["sql"].startswith(f"INSERT INTO {table}")
    assert AlertPayload.objects.filter(state="pending").count() == 2


@pytest.mark.django_db(transaction=True)
def test_a_post_after_the_database_connection_broke_is_still_stored():
    """The INSERT goes without a health check first; a dead connection is replaced."""
    _, url = integration_with_url()
    assert post(url, {"alerts": []}, between_requests=True).status_code == 202
    connection.ensure_connection()
    connection.connection.close()  # as if the server had dropped the idle connection
    response = post(url, {"alerts": ["after"]}, between_requests=True)
    assert response.status_code == 202
    assert AlertPayload.objects.get(pk=response.json()["payload"]).body == '{"alerts": ["after"]}'


@pytest.mark.django_db
def test_only_alert_posts_take_the_lean_path():
    lean_route = reverse("api-v1:alerts_post", kwargs={"token": "abc"})
    assert wsgi.ALERT_POST_PATH.match(lean_route)  # the documented URL is the one served lean
    for path in ("/api/v1/intake/alerts/abc/more", "/api/v1/incidents", "/login/"):
        assert not wsgi.ALERT_POST_PATH.match(path)
    # A GET of the alert URL goes through the full stack to django-ninja: not allowed.
    assert wsgi_call("GET", lean_route).status_code == 405


@pytest.mark.django_db
def test_every_other_url_keeps_sessions_and_csrf():
    page = wsgi_call("GET", "/login/", CONTENT_TYPE="", **EN)
    assert page.status_code == 200
    assert any(cookie.startswith("csrftoken=") for cookie in page.cookies)
    assert "Cookie" in page.headers["vary"]
    refused = wsgi_call("POST", "/login/", b"username=a&password=b",
                        CONTENT_TYPE="application/x-www-form-urlencoded", **EN)
    assert refused.status_code == 403  # no CSRF token
    api = wsgi_call("POST", "/api/v1/incidents", b"{}", **EN)
    assert api.status_code == 403 and "CSRF" in api.json()["detail"]  # session API: CSRF
