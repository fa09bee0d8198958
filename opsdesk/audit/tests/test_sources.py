"""Where events come from: sign-in, accounts, groups, tokens, configuration, exports, MFA."""

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.test import Client

from opsdesk.accounts.models import ApiToken, SupportGroup
from opsdesk.accounts.services import api_token_authenticate, api_token_create, api_token_revoke
from opsdesk.audit.models import AuditEvent, AuditKind
from opsdesk.audit.verify import audit_chain_verify
from opsdesk.core.testing.factories import UserFactory
from opsdesk.reporting.audit import export_recorded

pytestmark = pytest.mark.django_db
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"  # whatever backends come first
PASSWORD = "correct horse battery staple"


def events(kind) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(kind=kind).order_by("seq"))


def browser(user=None, agent="pytest-browser/1.0"):
    client = Client(headers={"Accept-Language": "en", "User-Agent": agent})
    if user is not None:
        client.force_login(user, backend=MODEL_BACKEND)
    return client


def test_sign_in_failure_and_sign_out_with_address_and_agent(org):
    client = browser(agent="Mozilla/5.0 " + "x" * 400)
    client.post("/login/", {"username": "requester", "password": "wrong"})
    client.post("/login/", {"username": "requester", "password": PASSWORD})
    client.post("/logout/")
    [failed] = events(AuditKind.SIGN_IN_FAILED)
    assert (failed.actor_id, failed.actor_username, failed.ip) == (None, "requester", "127.0.0.1")
    assert "wrong" not in str(failed.details)
    [signed_in] = events(AuditKind.SIGN_IN)
    assert signed_in.actor == org.requester and signed_in.ip == "127.0.0.1"
    assert len(signed_in.user_agent) == 255 and signed_in.user_agent.startswith("Mozilla/5.0")
    [signed_out] = events(AuditKind.SIGN_OUT)
    assert signed_out.actor == org.requester
    assert audit_chain_verify()[0] is None


def test_role_changes_name_what_was_granted_and_taken(org):
    user = org.engineer
    user.is_incident_manager, user.is_engineer = True, False
    user.save()
    user.save(update_fields=["last_login"])  # no flag in update_fields: not read, not logged
    [changed] = events(AuditKind.ROLE_CHANGED)
    assert changed.target_id == str(user.pk) and changed.target_text == str(user)
    assert changed.details["added"] == ["is_incident_manager"]
    assert changed.details["removed"] == ["is_engineer"]
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert events(AuditKind.ACCOUNT_ACTIVE_CHANGED)[0].details == {"active": False}


def test_a_new_account_and_its_roles_are_recorded(org):
    UserFactory(username="newadmin", is_administrator=True)
    created = [e for e in events(AuditKind.ACCOUNT_CREATED) if e.target_text == "Newadmin"]
    assert created[0].details == {"roles": ["is_administrator"]}


def test_the_actor_is_the_signed_in_person_of_the_request(org):
    response = browser(org.admin).post("/settings/groups/new/", {
        "code": "DB3", "name_zh": "数据库组", "name_en": "Databases", "line": "3",
        "email": "", "escalation_group": "", "manager": "", "members": [org.expert.pk]})
    assert response.status_code == 302
    [membership] = [e for e in events(AuditKind.GROUP_MEMBERSHIP_CHANGED)
                    if e.details.get("group") == "DB3"]
    assert membership.actor == org.admin and membership.ip == "127.0.0.1"
    assert membership.details == {"added": ["expert"], "group": "DB3"}
    [config] = events(AuditKind.CONFIG_CHANGED)
    assert config.actor == org.admin and config.target_text == "/settings/groups/new/"
    assert config.details["page"] == "web:settings-group-new"
    assert "members" in config.details["fields"]
    assert "csrfmiddlewaretoken" not in str(config.details)


def test_a_refused_settings_form_is_no_change(org):
    response = browser(org.owner).post("/settings/groups/new/", {"code": "", "name_en": ""})
    assert response.status_code == 422
    assert events(AuditKind.CONFIG_CHANGED) == []


def test_membership_from_either_side_and_cleared(org):
    net2 = org.groups["NET2"]
    known = len(events(AuditKind.GROUP_MEMBERSHIP_CHANGED))
    net2.members.remove(org.engineer)
    org.expert.support_groups.add(net2)
    net2.members.clear()
    removed, added, cleared = events(AuditKind.GROUP_MEMBERSHIP_CHANGED)[known:]
    assert removed.details == {"removed": ["engineer"], "group": "NET2"}
    assert added.details == {"added": ["NET2"], "user": "expert"}
    assert cleared.details == {"removed": ["expert"], "group": "NET2"}
    assert SupportGroup.objects.get(pk=net2.pk).members.count() == 0


def test_tokens_created_revoked_and_used_once_an_hour(org):
    token, secret = api_token_create(user=org.engineer, name="ci")
    assert api_token_authenticate(secret=secret) == org.engineer
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=None)  # as if a minute passed
    assert api_token_authenticate(secret=secret) == org.engineer
    api_token_revoke(token=token)
    api_token_revoke(token=token)  # twice is harmless, and logged once
    [created] = events(AuditKind.TOKEN_CREATED)
    assert created.details == {"name": "ci", "prefix": token.prefix, "owner": "engineer"}
    [used] = events(AuditKind.TOKEN_USED)
    assert used.actor == org.engineer and used.target_id == str(token.pk)
    [revoked] = events(AuditKind.TOKEN_REVOKED)
    assert revoked.target_id == str(token.pk)


def test_token_use_over_the_api_is_recorded_with_the_address(org):
    _token, secret = api_token_create(user=org.desk, name="monitoring")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}", HTTP_USER_AGENT="curl/8")
    assert client.get("/api/v1/me/notification-preferences").status_code == 200
    assert client.get("/api/v1/me/notification-preferences").status_code == 200
    [used] = events(AuditKind.TOKEN_USED)
    assert (used.actor, used.ip, used.user_agent) == (org.desk, "127.0.0.1", "curl/8")


def test_admin_changes_come_from_its_log(org):
    LogEntry.objects.log_actions(org.admin.pk, [org.groups["NET2"]], CHANGE,
                                 '[{"changed": {"fields": ["Line"]}}]', single_object=True)
    [config] = events(AuditKind.CONFIG_CHANGED)
    assert config.actor == org.admin and config.details["admin"] == "change"
    assert config.details["model"] == "accounts.supportgroup"


def test_exports_are_recorded(org):
    export_recorded(user=org.manager, what="incidents:all", fmt="xlsx", params="status=10",
                    rows=12)
    [export] = events(AuditKind.EXPORT)
    assert export.actor == org.manager and export.target_text == "incidents:all"
    assert export.details == {"format": "xlsx", "params": "status=10", "rows": 12, "to": []}


def test_password_set_is_recorded_but_a_rehash_is_not(org):
    user = org.requester
    user.set_password("another long passphrase 42!")
    user.save()
    assert [e.target_id for e in events(AuditKind.PASSWORD_CHANGED)] == [str(user.pk)]
    user.check_password("another long passphrase 42!")
    assert len(events(AuditKind.PASSWORD_CHANGED)) == 1


def test_multi_factor_signals_are_recorded(org):
    from opsdesk.mfa import signals

    signals.mfa_enabled.send(sender=type(org.engineer), user=org.engineer, by=org.engineer,
                             request=None, method="totp")
    signals.mfa_reset.send(sender=type(org.engineer), user=org.engineer, by=org.admin,
                           request=None, method="totp")
    [enabled] = events(AuditKind.MFA_ENABLED)
    assert (enabled.actor, enabled.target_id, enabled.details) == (
        org.engineer, str(org.engineer.pk), {"method": "totp"})
    assert events(AuditKind.MFA_RESET)[0].actor == org.admin


def test_a_lockout_is_recorded(org):
    from axes.signals import user_locked_out

    user_locked_out.send(sender="axes", request=None, username="requester",
                         ip_address="192.0.2.7")
    [locked] = events(AuditKind.LOCKOUT)
    assert (locked.actor_username, locked.details) == ("requester", {"ip_address": "192.0.2.7"})


def test_sign_out_everywhere_is_recorded(org):
    from opsdesk.accounts.sessions import sessions_revoke

    sessions_revoke(user=org.engineer, by=org.admin)
    [revoked] = events(AuditKind.SESSIONS_REVOKED)
    assert (revoked.actor, revoked.target_id) == (org.admin, str(org.engineer.pk))
    assert events(AuditKind.ROLE_CHANGED) == []  # its own save changes no role


def test_a_nul_character_from_an_attacker_is_recorded_safely(org):
    from django.contrib.auth.signals import user_login_failed

    user_login_failed.send(sender=__name__, credentials={"username": "adm\x00in"}, request=None)
    [failed] = events(AuditKind.SIGN_IN_FAILED)
    assert failed.actor_username == "adm\ufffdin" and audit_chain_verify()[0] is None


def test_a_person_with_audit_entries_can_be_deleted_and_the_entries_stay(org):
    """The admin deletes an account: its entries keep who it was and the chain holds."""
    from django.core.management import call_command

    leaver = UserFactory(username="leaver")
    Client().force_login(leaver)  # a sign-in entry
    before = AuditEvent.objects.filter(actor_username="leaver").count()
    assert before >= 1
    leaver.delete()
    assert AuditEvent.objects.filter(actor_username="leaver").count() == before
    call_command("audit_verify")  # exits non-zero (SystemExit) when a chain is broken
    assert audit_chain_verify()[0] is None
