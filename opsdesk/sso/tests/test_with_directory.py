"""Single sign-on and the company directory together: one person, one account, one source.

Both run for real: slapd (opsdesk/accounts/testing/slapd.py) and the django-oauth-toolkit
provider (opsdesk/sso/testing/). The provider's user names are the directory's uids, as when
a company points both at the same Active Directory.
"""

import uuid
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from opsdesk.accounts.models import DirectoryAccount, User
from opsdesk.accounts.testing.slapd import SEED, Slapd
from opsdesk.audit.models import AuditEvent, AuditKind
from opsdesk.sso.models import SsoIdentity

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture(scope="session")
def slapd():
    server = Slapd().start()
    yield server
    server.stop()


@pytest.fixture
def directory(slapd, settings, sso):
    """LDAP on beside SSO; `ldap_sync` sees the seeded people and this test's, nobody else's."""
    prefix = f"d{uuid.uuid4().hex[:8]}"
    seeded = "".join(f"(uid={p.uid})" for p in SEED)
    settings.OPSDESK_LDAP = slapd.settings(
        USER_FILTER=f"(&(objectClass=inetOrgPerson)(|{seeded}(uid={prefix}*)))")
    slapd.prefix = prefix
    return slapd


def person(directory, groups=(), **fields):
    """A directory person with an email of their own."""
    mail = fields.pop("mail", f"{uuid.uuid4().hex[:10]}@corp.test")
    return directory.person_add(directory.prefix, groups=groups, mail=mail,
                                display_name="Directory Name", **fields)


def sync() -> str:
    out = StringIO()
    call_command("ldap_sync", stdout=out)
    return out.getvalue()


def password_sign_in(username, password):
    browser = Client()
    return browser, browser.post("/login/", {"username": username, "password": password}, **EN)


def test_sso_first_then_ldap_sync_takes_over_the_same_account(directory, sso, sign_in, client):
    someone = person(directory, groups=("engineers",))
    subject = sso.user_set(someone.uid, email=someone.mail.upper(), name="Provider Name",
                           groups=["opsdesk-desk"])
    sign_in(someone.uid)
    user = User.objects.get(username=someone.uid)
    assert user.is_service_desk and not user.is_engineer  # SSO manages it so far

    output = sync()

    assert f"updated: {someone.uid}" in output
    user.refresh_from_db()
    assert DirectoryAccount.objects.get(user=user).dn == (
        f"uid={someone.uid},ou=people,dc=opsdesk,dc=test")
    assert user.is_engineer and not user.is_service_desk  # the directory's roles now
    assert user.display_name == "Directory Name"
    assert SsoIdentity.objects.get(subject=subject).user == user
    # SSO still signs her in, to the same account, and no longer changes roles or fields.
    client.logout()
    sso.user_set(someone.uid, email=someone.mail, name="Provider Name",
                 groups=["opsdesk-desk", "opsdesk-admins"])
    assert sign_in(someone.uid).status_code == 302
    user.refresh_from_db()
    assert user.is_engineer and not user.is_service_desk and not user.is_administrator
    assert user.display_name == "Directory Name"
    # And the directory password reaches the very same account.
    browser, response = password_sign_in(someone.uid, someone.password)
    assert response.status_code == 302 and int(browser.session["_auth_user_id"]) == user.pk
    assert User.objects.filter(email__iexact=someone.mail).count() == 1
    assert "unchanged" in sync() and User.objects.filter(email__iexact=someone.mail).count() == 1


def test_an_sso_account_with_another_user_name_is_found_by_its_email(directory, sso, sign_in):
    someone = person(directory, groups=("owners",))
    sso.user_set(f"{someone.uid}.sso", email=someone.mail, groups=[])
    sign_in(f"{someone.uid}.sso")
    created = User.objects.get(username=f"{someone.uid}.sso")

    sync()

    created.refresh_from_db()
    assert created.username == someone.uid  # renamed to the directory's name, not duplicated
    assert created.is_process_owner and created.directory_account is not None
    assert User.objects.filter(email__iexact=someone.mail).count() == 1


def test_ldap_first_then_sso_sign_in_reaches_the_same_account(directory, sso, sign_in, client):
    someone = person(directory, groups=("servicedesk",))
    _, response = password_sign_in(someone.uid, someone.password)
    assert response.status_code == 302
    user = User.objects.get(username=someone.uid)
    assert user.is_service_desk
    # Her provider user name differs; the email finds the account.
    sso.user_set(f"{someone.uid}.idp", email=someone.mail, name="Provider Name",
                 groups=["opsdesk-admins"])

    assert sign_in(f"{someone.uid}.idp").status_code == 302

    assert int(client.session["_auth_user_id"]) == user.pk
    assert SsoIdentity.objects.get(user=user)
    user.refresh_from_db()
    assert user.is_service_desk and not user.is_administrator and not user.is_incident_manager
    assert user.display_name == "Directory Name"
    assert User.objects.filter(email__iexact=someone.mail).count() == 1


def test_group_removal_in_the_directory_is_not_undone_by_sso(directory, sso, sign_in, client):
    someone = person(directory, groups=("servicedesk",))
    sync()
    sso.user_set(someone.uid, email=someone.mail, groups=["opsdesk-desk"])
    sign_in(someone.uid)
    user = User.objects.get(username=someone.uid)
    assert user.is_service_desk

    directory.member_remove(someone.uid, "servicedesk")
    sync()
    client.logout()
    sign_in(someone.uid)  # the provider still lists opsdesk-desk

    user.refresh_from_db()
    assert not user.is_service_desk


def test_group_removal_at_the_provider_counts_for_sso_accounts_only(directory, sso, sign_in,
                                                                   client):
    sso.user_set(f"{directory.prefix}-ext", email=f"{directory.prefix}@partner.test",
                 groups=["opsdesk-engineers"])
    sign_in(f"{directory.prefix}-ext")
    outsider = User.objects.get(email=f"{directory.prefix}@partner.test")
    assert outsider.is_engineer

    assert outsider.username not in sync()  # not in the directory: the sync leaves it alone
    outsider.refresh_from_db()
    assert outsider.is_active and outsider.is_engineer
    client.logout()
    sso.user_set(f"{directory.prefix}-ext", email=f"{directory.prefix}@partner.test", groups=[])
    sign_in(f"{directory.prefix}-ext")
    outsider.refresh_from_db()
    assert not outsider.is_engineer and outsider.is_active


def test_same_user_name_other_person_is_refused_at_sso_sign_in(directory, sso, sign_in, client,
                                                               auth_signals):
    someone = person(directory, groups=("admins",))
    sync()
    sso.user_set(someone.uid, email="a.stranger@elsewhere.test", groups=["opsdesk-admins"])

    response = sign_in(someone.uid)

    assert response.status_code == 403
    assert b"belongs to another opsdesk account from the company directory" in response.content
    assert "_auth_user_id" not in client.session
    assert not User.objects.filter(email="a.stranger@elsewhere.test").exists()
    assert not SsoIdentity.objects.exists()
    event = AuditEvent.objects.get(kind=AuditKind.SIGN_IN_FAILED,
                                   details__reason="identity_conflict")
    assert event.details["source"] == "sso"
    assert event.details["sso_email"] == "a.stranger@elsewhere.test"
    assert event.target_text == someone.uid
    assert [f["reason"] for f in auth_signals.failed] == ["name_conflict"]


def test_same_user_name_other_person_is_refused_by_the_directory(directory, sso, sign_in):
    someone = person(directory, groups=("admins",))
    sso.user_set(someone.uid, email="first.comer@elsewhere.test", groups=["opsdesk-engineers"])
    sign_in(someone.uid)
    sso_account = User.objects.get(username=someone.uid)

    output = sync()

    assert f"conflicts: {someone.uid}" in output
    sso_account.refresh_from_db()
    assert sso_account.email == "first.comer@elsewhere.test"
    assert sso_account.is_engineer and not sso_account.is_administrator
    assert sso_account.is_active and not DirectoryAccount.objects.filter(user=sso_account).exists()
    event = AuditEvent.objects.get(kind=AuditKind.SIGN_IN_FAILED,
                                   details__reason="identity_conflict")
    assert event.details["source"] == "directory"
    assert event.details["directory_email"] == someone.mail
    # The directory password does not open the other person's account, and says why.
    browser, response = password_sign_in(someone.uid, someone.password)
    assert response.status_code == 200 and "_auth_user_id" not in browser.session
    assert "has the same user name as another person" in response.content.decode()
    assert AuditEvent.objects.filter(details__reason="identity_conflict").count() == 2


def test_gone_from_the_directory_an_sso_account_is_let_go_not_deactivated(directory, sso,
                                                                        sign_in, client,
                                                                        settings):
    kept, dropped = person(directory, groups=("engineers",)), person(directory,
                                                                     groups=("engineers",))
    for someone in (kept, dropped):
        sso.user_set(someone.uid, email=someone.mail, groups=[])
        sign_in(someone.uid)
        client.logout()
    sync()
    directory.person_delete(kept.uid)

    output = sync()

    assert f"released: {kept.uid}" in output
    user = User.objects.get(username=kept.uid)
    assert user.is_active and not user.is_engineer  # what the directory gave went with it
    sso.user_set(kept.uid, email=kept.mail, groups=["opsdesk-engineers"])
    sign_in(kept.uid)  # single sign-on manages it again
    user.refresh_from_db()
    assert user.is_engineer

    settings.OPSDESK_LDAP = {**settings.OPSDESK_LDAP, "DEACTIVATE_SSO_ACCOUNTS": True}
    directory.person_delete(dropped.uid)
    assert f"deactivated: {dropped.uid}" in sync()
    assert not User.objects.get(username=dropped.uid).is_active
