"""Roles checked again during a long session, with the provider's refresh token (no person)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from opsdesk.accounts.models import User
from opsdesk.sso.models import SsoSession

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def recheck(sso, settings):
    settings.OPSDESK_OIDC_ROLES_RECHECK_SECONDS = 900
    return sso


def age(session: SsoSession, minutes: int) -> None:
    """As if the roles were last checked `minutes` ago (no sleeping)."""
    SsoSession.objects.filter(pk=session.pk).update(
        roles_checked_at=timezone.now() - timedelta(minutes=minutes))


def test_roles_follow_the_provider_when_the_interval_has_passed(recheck, sign_in, client):
    recheck.user_set("dora", email="dora@example.com", groups=["opsdesk-desk"])
    sign_in("dora")
    session = SsoSession.objects.get()
    assert session.refresh_token  # kept (encrypted) because rechecking is on
    recheck.user_set("dora", email="dora@example.com", groups=["opsdesk-engineers"])

    age(session, 5)  # not due yet: nothing asked
    client.get("/", **EN)
    assert User.objects.get(username="dora").is_service_desk

    age(session, 20)
    assert client.get("/", **EN)["Location"] == "/work/"
    user = User.objects.get(username="dora")
    assert user.is_engineer and not user.is_service_desk
    session.refresh_from_db()
    assert session.roles_checked_at > timezone.now() - timedelta(minutes=1)
    assert "_auth_user_id" in client.session


def test_a_refused_refresh_token_ends_the_session(recheck, sign_in, client):
    recheck.user_set("dora", email="dora@example.com", groups=["opsdesk-desk"])
    sign_in("dora")
    session = SsoSession.objects.get()
    session.refresh_token = "revoked-at-the-provider"
    session.save()
    age(session, 20)

    response = client.get("/work/", **EN)

    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert "_auth_user_id" not in client.session
    session.refresh_from_db()
    assert session.ended_at is not None


def test_without_the_setting_no_refresh_token_is_kept(sso, sign_in, client):
    sso.user_set("dora", email="dora@example.com", groups=["opsdesk-desk"])
    sign_in("dora")
    session = SsoSession.objects.get()
    assert session.refresh_token == ""
    age(session, 600)
    sso.user_set("dora", email="dora@example.com", groups=[])
    client.get("/", **EN)
    assert User.objects.get(username="dora").is_service_desk  # roles change at sign-in only
