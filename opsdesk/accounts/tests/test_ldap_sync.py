"""`manage.py ldap_sync` against a real slapd: creates, updates, deactivates, leaves local alone."""

import uuid
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.test import RequestFactory

from opsdesk.accounts.models import DirectoryAccount, User
from opsdesk.accounts.testing.slapd import SEED
from opsdesk.core.testing.factories import SupportGroupFactory, UserFactory


@pytest.fixture
def scoped(ldap, settings):
    """Sync sees the seeded people and the people this test adds, not other tests' ones."""
    prefix = f"s{uuid.uuid4().hex[:8]}"
    seeded = "".join(f"(uid={p.uid})" for p in SEED)
    settings.OPSDESK_LDAP = ldap.settings(
        USER_FILTER=f"(&(objectClass=inetOrgPerson)(|{seeded}(uid={prefix}*)))")
    ldap.prefix = prefix
    return ldap


def sync(*args) -> str:
    out = StringIO()
    call_command("ldap_sync", *args, stdout=out)
    return out.getvalue()


def test_sync_creates_everyone_with_fields_roles_and_groups(scoped, db):
    SupportGroupFactory(code="NET", line=2)
    output = sync()
    assert "created 5" in output.splitlines()[0]
    users = {u.username: u for u in User.objects.all()}
    assert {"alice", "bob", "zhangwei", "root-admin", "carol"} <= set(users)
    assert users["zhangwei"].display_name == "张伟" and users["zhangwei"].is_incident_manager
    assert users["root-admin"].is_administrator and not users["root-admin"].is_superuser
    assert list(users["bob"].support_groups.values_list("code", flat=True)) == ["NET"]
    assert users["carol"].roles == {"user"}
    assert "unchanged 5" in sync()  # a second run changes nothing


def test_sync_updates_changed_people_and_revokes_roles(scoped, db):
    person = scoped.person_add(scoped.prefix, groups=("owners",), display_name="Before")
    sync()
    user = User.objects.get(username=person.uid)
    assert user.is_process_owner
    scoped.person_modify(person.uid, displayName="After", telephoneNumber="+86 755 1234")
    scoped.member_remove(person.uid, "owners")
    output = sync()
    assert f"updated: {person.uid}" in output
    user.refresh_from_db()
    assert (user.display_name, user.phone, user.is_process_owner) == (
        "After", "+86 755 1234", False)


def test_people_gone_from_the_directory_are_deactivated_and_come_back(scoped, db):
    person = scoped.person_add(scoped.prefix, groups=("engineers",))
    sync()
    scoped.person_delete(person.uid)
    output = sync()
    assert f"deactivated: {person.uid}" in output
    user = User.objects.get(username=person.uid)
    assert not user.is_active and not user.is_engineer
    assert user.directory_account.removed_at is not None
    assert authenticate(RequestFactory().post("/"), username=person.uid,
                        password=person.password) is None
    scoped.person_restore(person)  # re-hired: the account is switched on again
    sync()
    user.refresh_from_db()
    assert user.is_active and user.directory_account.removed_at is None


def test_local_accounts_are_never_touched(scoped, db):
    local = UserFactory(username="localonly", is_administrator=True)
    clash = UserFactory(username="alice", display_name="Local Alice")
    output = sync()
    assert "skipped: alice" in output
    local.refresh_from_db()
    clash.refresh_from_db()
    assert local.is_active and local.is_administrator and local.has_usable_password()
    assert clash.display_name == "Local Alice" and clash.has_usable_password()
    assert not DirectoryAccount.objects.filter(user__in=[local, clash]).exists()


def test_an_empty_answer_deactivates_nobody(scoped, db, settings):
    sync()
    settings.OPSDESK_LDAP = {**settings.OPSDESK_LDAP, "USER_FILTER": "(uid=nobody-has-this)"}
    with pytest.raises(CommandError, match="returned nobody"):
        sync()
    assert User.objects.filter(is_active=False).count() == 0
    sync("--allow-empty")
    assert User.objects.filter(is_active=False).count() == 5


def test_sync_fails_clearly_when_the_directory_is_down_or_not_configured(scoped, db, settings):
    from opsdesk.core.testing.daemon import dead_port

    with dead_port() as port:
        settings.OPSDESK_LDAP = scoped.settings(URL=f"ldap://127.0.0.1:{port}", TIMEOUT=2)
        with pytest.raises(CommandError, match="cannot be reached"):
            sync()
    settings.OPSDESK_LDAP = scoped.settings(URL="")
    with pytest.raises(CommandError, match="not configured"):
        sync()


def test_a_bad_role_mapping_names_the_variable(scoped, db, settings):
    from django.core.exceptions import ImproperlyConfigured

    settings.OPSDESK_LDAP = scoped.settings(ROLE_GROUPS="superhero=cn=x,dc=y")
    with pytest.raises(ImproperlyConfigured, match="OPSDESK_LDAP_ROLE_GROUPS"):
        sync()
