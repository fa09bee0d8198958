"""Password policy for local accounts: every place a password is set applies it."""

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client

from opsdesk.accounts.models import User
from opsdesk.accounts.passwords import PolicyValidator
from opsdesk.accounts.signals import password_changed
from opsdesk.core.testing.factories import UserFactory
from opsdesk.accounts.testing.clients import client_for

PASSWORD = "correct horse battery staple"


@pytest.mark.parametrize("password,code", [
    ("Sh0rt!x", "password_too_short"),
    ("alllowercaseletters", "password_too_simple"),
    ("Password1234", "password_too_common"),
    ("Opsdesk-Rocks-2026", "password_banned_word"),
    ("483920174628", "password_entirely_numeric"),
])
def test_weak_passwords_are_refused(db, password, code):
    with pytest.raises(ValidationError) as error:
        validate_password(password, User(username="someone"))
    assert code in [e.code for e in error.value.error_list]


def test_a_password_like_the_user_name_is_refused(db):
    user = User(username="zhang.wei", display_name="Zhang Wei", email="zhang.wei@example.com")
    with pytest.raises(ValidationError) as error:
        validate_password("Zhang.Wei2026", user)
    assert "password_too_similar" in [e.code for e in error.value.error_list]


def test_a_good_password_passes_and_chinese_counts_as_a_kind(db):
    validate_password("Quartz-Lamp-91!", User(username="someone"))
    validate_password("运维值班表abc2026", User(username="someone"))


def test_the_limits_come_from_settings():
    assert PolicyValidator(min_classes=4).get_help_text().count("4") == 1
    PolicyValidator(min_classes=2).validate("lowercase2026words")
    with pytest.raises(ValidationError):
        PolicyValidator(min_classes=4).validate("Lowercase2026words")
    with pytest.raises(ValidationError):
        PolicyValidator(banned_words=["acme"]).validate("My-ACME-pass-1")


def test_the_change_password_page_applies_the_policy(db, english):
    UserFactory(username="worker")
    client = Client()
    client.post("/login/", {"username": "worker", "password": PASSWORD})
    response = client.post("/profile/password/", {
        "old_password": PASSWORD, "new_password1": "password", "new_password2": "password"})
    assert response.status_code == 422
    page = response.content.decode()
    assert "This password is too short" in page and "other sessions" in page
    response = client.post("/profile/password/", {
        "old_password": "wrong", "new_password1": "Quartz-Lamp-91!",
        "new_password2": "Quartz-Lamp-91!"})
    assert response.status_code == 422


def test_directory_accounts_are_told_where_to_change_their_password(db, english):
    user = UserFactory(username="dirperson")
    user.set_unusable_password()
    user.save()
    client = client_for(user)
    page = client.get("/profile/password/").content.decode()
    assert "company directory" in page and "old_password" not in page
    assert client.post("/profile/password/", {"old_password": "x"}).status_code == 200


def test_the_admin_applies_the_policy_when_setting_a_password(org):
    response = client_for(org.admin).post(f"/admin/accounts/user/{org.requester.pk}/password/", {
        "password1": "short", "password2": "short", "usable_password": "true"})
    assert response.status_code == 200
    org.requester.refresh_from_db()
    assert org.requester.check_password(PASSWORD)


def test_createsuperuser_applies_the_policy(db, monkeypatch, capsys):
    answers = iter(["weak", "weak", "y"])  # Django asks whether to bypass: no thanks
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    monkeypatch.setattr("builtins.input", lambda prompt="": "n")
    with pytest.raises(StopIteration):
        call_command("createsuperuser", username="root2", email="r@example.com",
                     interactive=True, stdin=None)
    assert "This password is too short" in capsys.readouterr().err


def test_every_saved_password_sends_password_changed(db):
    user = UserFactory(username="worker")
    seen = []
    password_changed.connect(lambda sender, user, **kw: seen.append(user.pk), weak=False,
                             dispatch_uid="t-pw")
    try:
        user.set_password("Quartz-Lamp-91!")
        user.save()
    finally:
        password_changed.disconnect(dispatch_uid="t-pw")
    assert seen == [user.pk]
