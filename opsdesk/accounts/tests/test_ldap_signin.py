"""Signing in with a directory account, against a real slapd: roles, groups, fields, refusals."""

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_login_failed
from django.test import Client, RequestFactory

from opsdesk.accounts.models import DirectoryAccount, Organisation, SupportGroup, User
from opsdesk.accounts.testing.slapd import SEED
from opsdesk.core.testing.factories import SupportGroupFactory, UserFactory

ALICE, BOB, ZHANGWEI, ROOT, CAROL = SEED


def sign_in(client: Client, username: str, password: str):
    return client.post("/login/", {"username": username, "password": password})


def test_first_sign_in_creates_the_account_with_directory_fields_and_roles(ldap, db):
    client = Client()
    response = sign_in(client, "alice", ALICE.password)
    assert response.status_code == 302
    user = User.objects.get(username="alice")
    assert int(client.session["_auth_user_id"]) == user.pk
    assert (user.display_name, user.first_name, user.last_name) == (
        "Alice Liddell", "Alice", "Liddell")
    assert (user.email, user.phone) == ("alice@opsdesk.test", "+86 10 5555 0101")
    assert user.department.code == "IT"
    assert user.is_service_desk and not user.is_engineer and not user.is_administrator
    assert not user.has_usable_password()  # the directory checks the password, never us
    assert user.directory_account.dn == "uid=alice,ou=people,dc=opsdesk,dc=test"


def test_chinese_names_and_departments_arrive_intact(ldap, db):
    Organisation.objects.create(code="OPS", name_zh="运维部", name_en="Operations")
    user = authenticate(RequestFactory().post("/login/"), username="zhangwei",
                        password=ZHANGWEI.password)
    assert user.display_name == "张伟" and user.last_name == "张" and user.first_name == "伟"
    assert user.department.code == "OPS"  # matched by its Chinese name
    assert user.is_incident_manager


def test_missing_department_is_created_when_allowed(ldap, db, settings):
    user = authenticate(RequestFactory().post("/login/"), username="carol",
                        password=CAROL.password)
    assert user.department.code == "Finance" and user.department.name_zh == "Finance"
    settings.OPSDESK_LDAP = {**ldap.settings(), "CREATE_DEPARTMENTS": False}
    person = ldap.person_add(department="Nowhere Dept")
    user = authenticate(RequestFactory().post("/login/"), username=person.uid,
                        password=person.password)
    assert user.department is None
    assert not Organisation.objects.filter(code="Nowhere Dept").exists()


def test_user_name_is_case_insensitive_and_stored_in_lower_case(ldap, db):
    user = authenticate(RequestFactory().post("/login/"), username="ALICE ",
                        password=ALICE.password)
    assert user.username == "alice"


def test_support_group_membership_follows_the_directory_group(ldap, db):
    net = SupportGroupFactory(code="NET", line=2)
    user = authenticate(RequestFactory().post("/login/"), username="bob", password=BOB.password)
    assert user.is_engineer and list(user.support_groups.all()) == [net]


def test_roles_and_groups_granted_by_the_directory_are_revoked_when_membership_goes(ldap, db):
    net = SupportGroupFactory(code="NET", line=2)
    other = SupportGroupFactory(code="APP", line=2)
    person = ldap.person_add(groups=("engineers", "network", "admins"))
    user = authenticate(RequestFactory().post("/login/"), username=person.uid,
                        password=person.password)
    assert user.is_engineer and user.is_administrator and net in user.support_groups.all()
    # An administrator also gave a role and a group by hand: those are not the directory's.
    user.is_process_owner = True
    user.save()
    other.members.add(user)
    ldap.member_remove(person.uid, "admins")
    ldap.member_remove(person.uid, "network")
    user = authenticate(RequestFactory().post("/login/"), username=person.uid,
                        password=person.password)
    user.refresh_from_db()
    assert user.is_engineer and not user.is_administrator
    assert user.is_process_owner
    assert list(user.support_groups.all()) == [other]
    assert user.directory_account.granted_roles == ["engineer"]


def test_changed_attributes_are_synced_on_each_sign_in(ldap, db):
    person = ldap.person_add(display_name="Old Name", mail="old@opsdesk.test")
    request = RequestFactory().post("/login/")
    authenticate(request, username=person.uid, password=person.password)
    ldap.person_modify(person.uid, displayName="新名字", mail="new@opsdesk.test",
                       telephoneNumber="+86 21 1234 5678")
    user = authenticate(request, username=person.uid, password=person.password)
    assert (user.display_name, user.email, user.phone) == (
        "新名字", "new@opsdesk.test", "+86 21 1234 5678")


@pytest.mark.parametrize("password", ["wrong-password", ""])
def test_wrong_or_empty_password_is_refused_and_fires_user_login_failed(ldap, db, password):
    failures = []

    def record(sender, credentials, request=None, **kwargs):
        failures.append((credentials.get("username"), request))

    user_login_failed.connect(record)
    try:
        client = Client()
        response = sign_in(client, "alice", password)
    finally:
        user_login_failed.disconnect(record)
    assert response.status_code == 200 and "_auth_user_id" not in client.session
    if password:  # an empty password never reaches the backends: the form refuses it
        assert failures and failures[0][0] == "alice" and failures[0][1] is not None
    assert not User.objects.filter(username="alice").exists()


def test_ldap_filter_characters_in_the_user_name_are_escaped(ldap, db):
    request = RequestFactory().post("/login/")
    assert authenticate(request, username="*", password=ALICE.password) is None
    assert authenticate(request, username="alice)(uid=*", password=ALICE.password) is None
    assert authenticate(request, username="a*", password=ALICE.password) is None


def test_local_accounts_keep_signing_in_and_are_never_taken_over(ldap, db):
    # A local break-glass admin whose name is also in the directory.
    UserFactory(username="root-admin", is_superuser=True, is_administrator=True)
    request = RequestFactory().post("/login/")
    assert authenticate(request, username="root-admin", password=ROOT.password) is None
    local = authenticate(request, username="root-admin", password="correct horse battery staple")
    assert local is not None and local.is_superuser
    assert not DirectoryAccount.objects.exists()


def test_a_local_account_without_a_password_is_handed_to_the_directory(ldap, db):
    user = UserFactory(username="carol", password=None)
    user.set_unusable_password()
    user.save()
    signed_in = authenticate(RequestFactory().post("/login/"), username="carol",
                             password=CAROL.password)
    assert signed_in.pk == user.pk and signed_in.directory_account.dn.startswith("uid=carol")


def test_an_account_deactivated_by_the_administrator_stays_out(ldap, db):
    person = ldap.person_add()
    request = RequestFactory().post("/login/")
    user = authenticate(request, username=person.uid, password=person.password)
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert authenticate(request, username=person.uid, password=person.password) is None


def test_starttls_and_ldaps_with_the_servers_certificate(ldap, db, settings):
    for overrides in ({"START_TLS": True, "CA_FILE": ldap.ca_file},
                      {"URL": ldap.tls_url, "CA_FILE": ldap.ca_file}):
        settings.OPSDESK_LDAP = ldap.settings(**overrides)
        assert authenticate(RequestFactory().post("/login/"), username="alice",
                            password=ALICE.password) is not None


def test_an_untrusted_certificate_is_refused(ldap, db, settings, english):
    settings.OPSDESK_LDAP = ldap.settings(URL=ldap.tls_url)  # the system CAs: not ours
    response = sign_in(Client(), "alice", ALICE.password)
    assert response.status_code == 200
    assert "directory cannot be reached" in response.content.decode()


def test_a_directory_that_is_down_says_so_and_local_accounts_still_work(ldap, db, settings,
                                                                         english):
    from opsdesk.core.testing.daemon import dead_port

    with dead_port() as port:
        settings.OPSDESK_LDAP = ldap.settings(URL=f"ldap://127.0.0.1:{port}", TIMEOUT=2)
        response = sign_in(Client(), "alice", ALICE.password)
        assert response.status_code == 200
        assert "directory cannot be reached" in response.content.decode()
        UserFactory(username="breakglass", is_administrator=True)
        assert sign_in(Client(), "breakglass",
                       "correct horse battery staple").status_code == 302


def test_the_second_server_is_tried_when_the_first_is_down(ldap, db, settings):
    from opsdesk.core.testing.daemon import dead_port

    with dead_port() as port:
        settings.OPSDESK_LDAP = ldap.settings(URL=f"ldap://127.0.0.1:{port},{ldap.url}")
        assert authenticate(RequestFactory().post("/login/"), username="alice",
                            password=ALICE.password) is not None


def test_a_wrong_service_password_is_a_configuration_error_not_a_wrong_password(
        ldap, db, settings, english):
    settings.OPSDESK_LDAP = ldap.settings(BIND_PASSWORD="not-the-service-password")
    response = sign_in(Client(), "alice", ALICE.password)
    assert "directory cannot be reached" in response.content.decode()


def test_directory_sign_in_is_off_without_a_url(ldap, db, settings):
    settings.OPSDESK_LDAP = ldap.settings(URL="")
    assert authenticate(RequestFactory().post("/login/"), username="alice",
                        password=ALICE.password) is None


def test_bind_password_from_a_file(ldap, db, settings, tmp_path):
    secret = tmp_path / "bind_password"
    secret.write_text(ldap.settings()["BIND_PASSWORD"] + "\n")
    settings.OPSDESK_LDAP = ldap.settings(BIND_PASSWORD="", BIND_PASSWORD_FILE=str(secret))
    assert authenticate(RequestFactory().post("/login/"), username="alice",
                        password=ALICE.password) is not None


def test_support_group_code_missing_here_is_skipped(ldap, db):
    assert not SupportGroup.objects.filter(code="NET").exists()
    user = authenticate(RequestFactory().post("/login/"), username="bob", password=BOB.password)
    assert user is not None and not user.support_groups.exists()
