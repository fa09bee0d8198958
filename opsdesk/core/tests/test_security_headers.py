"""Security headers on every kind of response (the login page, a signed-in page, the API, a
download, an error page), secure cookies in production, and a clean `check --deploy`."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from opsdesk.accounts.services import api_token_create
from opsdesk.core.security import plotly_style_hashes
from opsdesk.core.testing.factories import incident_factory
from opsdesk.incidents.services import attachment_create

ROOT = Path(__file__).resolve().parents[3]
PASSWORD = "correct horse battery staple"  # the password of factory users
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
POLICY = {
    "default-src": "'self'", "script-src": "'self'",
    # 'self' and the hashes of the empty <style> plotly fills through the CSSOM and of the map
    # CSS its bundle adds (core/security.py), no more.
    "style-src": " ".join(["'self'", *plotly_style_hashes()]),
    "object-src": "'none'", "base-uri": "'self'", "frame-ancestors": "'none'",
    "form-action": "'self'",
}
# Everything but the Content-Security-Policy, which a download replaces with its sandbox.
COMMON = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def directives(header: str) -> dict[str, str]:
    parts = [part.strip().split(None, 1) for part in header.split(";") if part.strip()]
    return {part[0]: part[1] if len(part) > 1 else "" for part in parts}


def assert_page_headers(response) -> None:
    """The strict policy: nothing inline, no eval, nothing from elsewhere."""
    for name, value in COMMON.items():
        assert response[name] == value, name
    policy = directives(response["Content-Security-Policy"])
    for name, value in POLICY.items():
        assert policy[name] == value, (name, policy)
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert "unsafe-eval" not in response["Content-Security-Policy"]
    permissions = response["Permissions-Policy"]
    for feature in ("camera=()", "microphone=()", "geolocation=()", "payment=()", "usb=()"):
        assert feature in permissions


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_the_style_hashes_are_plotlys_two_style_texts():
    hashes = plotly_style_hashes()
    assert len(hashes) == 2
    assert hashes[0] == "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='"  # empty text


def test_the_login_page(client):
    response = client.get(reverse("web:login"))
    assert response.status_code == 200
    assert_page_headers(response)
    assert 'style="' not in response.content.decode()


def test_a_signed_in_page(client, org):
    client.force_login(org.requester)
    response = client.get(reverse("web:portal"))
    assert response.status_code == 200
    assert_page_headers(response)
    assert 'style="' not in response.content.decode()


def test_the_api(org):
    _token, secret = api_token_create(user=org.desk)
    response = Client(HTTP_AUTHORIZATION=f"Bearer {secret}").get("/api/v1/incidents")
    assert response.status_code == 200
    assert_page_headers(response)


def test_an_error_page(client, org):
    client.force_login(org.requester)
    response = client.get("/incidents/INC000000000000/")
    assert response.status_code == 404
    assert_page_headers(response)


def test_a_download_is_sandboxed(client, org):
    incident = incident_factory(by=org.desk, requester=org.requester)
    attachment = attachment_create(incident=incident, by=org.requester,
                                   upload=SimpleUploadedFile("screen.png", PNG))
    client.force_login(org.requester)
    response = client.get(reverse("web:attachment", args=[incident.number, attachment.pk]))
    assert response.status_code == 200
    for name, value in COMMON.items():
        assert response[name] == value, name
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert "Permissions-Policy" in response


def test_cookies_are_http_only_and_same_site(client, org):
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    cookie = response.cookies["django_language"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    signed_in = client.post(reverse("web:login"), {"username": org.requester.username,
                                                   "password": PASSWORD})
    assert signed_in.status_code == 302
    session = signed_in.cookies["sessionid"]
    assert session["httponly"] and session["samesite"] == "Lax"


# ---- production -----------------------------------------------------------------------------

PRODUCTION = {
    "OPSDESK_PRODUCTION": "1",
    "SECRET_KEY": "x8#kq2-a-long-random-production-secret-value-0123456789-abcdefghij",
    "ALLOWED_HOSTS": "opsdesk.example.com",
}


def _manage(*args, data_dir):
    environment = {k: v for k, v in os.environ.items()
                   if k not in ("DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")}
    environment.update(PRODUCTION, OPSDESK_DATA_DIR=str(data_dir))
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=environment,
                          capture_output=True, text=True, timeout=180)


def test_production_cookies_are_secure(tmp_path):
    code = ("from django.conf import settings as s; print(*[getattr(s, n) for n in ("
            "'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'LANGUAGE_COOKIE_SECURE', "
            "'SESSION_COOKIE_HTTPONLY', 'LANGUAGE_COOKIE_HTTPONLY', 'SECURE_HSTS_SECONDS', "
            "'SESSION_COOKIE_SAMESITE', 'CSRF_COOKIE_SAMESITE', 'LANGUAGE_COOKIE_SAMESITE')])")
    result = _manage("shell", "--no-imports", "-c", code, data_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True"] * 5 + ["31536000"] + ["Lax"] * 3


def test_check_deploy_is_clean_with_the_hardening(tmp_path):
    result = _manage("check", "--deploy", "--fail-level", "WARNING", data_dir=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
