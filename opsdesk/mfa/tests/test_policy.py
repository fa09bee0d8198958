"""The administrator's policy: roles that must use multi-factor sign-in, single sign-on, resets;
and the pages in English and Chinese."""


import pytest
from django.utils import translation

from opsdesk.core.testing.factories import UserFactory
from opsdesk.mfa.models import Authenticator, MfaPolicy, RecoveryCode, RecoveryDevice, SsoTrust
from opsdesk.mfa.signals import mfa_reset
from opsdesk.mfa.testing.helpers import code_after, code_from_secret, secret_on_page, signed_in

pytestmark = pytest.mark.django_db


def require(*roles, sso_trust=SsoTrust.NEVER, by=None):
    from opsdesk.mfa.services import policy_update

    return policy_update(by=by, required_roles=list(roles), sso_trust=sso_trust)


def test_a_required_role_without_an_app_is_sent_to_set_it_up(org):
    require("desk", "manager")
    client = signed_in(org.desk)
    for url in ("/", "/work/", "/profile/", "/tokens/", "/mfa/recovery/new/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/mfa/?next="), url
    page = client.get("/mfa/?next=/work/")
    assert page.status_code == 200 and "Your role requires multi-factor sign-in" in page.text
    assert 'href="/work/"' not in page.text  # no way around it
    secret = secret_on_page(page.text)
    response = client.post("/mfa/setup/", {"code": code_from_secret(secret), "next": "/work/"})
    assert response["Location"] == "/mfa/recovery/?next=%2Fwork%2F"
    assert client.post("/mfa/recovery/done/", {"next": "/work/"})["Location"] == "/work/"
    assert client.get("/work/").status_code == 200


def test_roles_not_named_are_left_alone(org):
    require("desk")
    assert signed_in(org.engineer).get("/work/").status_code == 200
    assert signed_in(org.requester).get("/portal/").status_code == 200


def test_a_superuser_counts_as_an_administrator(org):
    require("admin")
    boss = UserFactory(username="root", is_superuser=True, is_staff=True)
    assert signed_in(boss).get("/")["Location"].startswith("/mfa/?next=")


def test_a_role_given_later_applies_from_the_next_page(org):
    require("engineer")
    client = signed_in(org.requester)
    assert client.get("/portal/").status_code == 200
    org.requester.is_engineer = True
    org.requester.save(update_fields=["is_engineer"])
    assert client.get("/portal/")["Location"].startswith("/mfa/?next=")


@pytest.mark.parametrize(("trust", "amr", "asked"), [
    (SsoTrust.NEVER, ["pwd", "mfa"], True),
    (SsoTrust.REPORTED, ["pwd", "mfa"], False),
    (SsoTrust.REPORTED, ["pwd", "otp"], False),
    (SsoTrust.REPORTED, ["pwd"], True),
    (SsoTrust.REPORTED, [], True),
    (SsoTrust.ALWAYS, [], False),
])
def test_single_sign_on_counts_only_as_the_administrator_says(org, enrolled, trust, amr, asked):
    require("desk", sso_trust=trust)
    enrolled(org.desk)
    client = signed_in(org.desk)  # the OIDC app signs in, then records the amr claim
    session = client.session
    session["opsdesk_sso_amr"] = amr
    session.save()
    response = client.get("/work/")
    assert (response.status_code == 302) is asked
    if asked:
        assert response["Location"].startswith("/mfa/verify/")


def test_the_sso_apps_own_record_is_read_too(org):
    require("desk", sso_trust=SsoTrust.REPORTED)
    client = signed_in(org.desk)
    session = client.session
    session["sso"] = {"issuer": "https://idp.example", "sub": "1", "amr": ["pwd", "hwk"]}
    session.save()
    assert client.get("/work/").status_code == 200


def test_a_password_session_never_counts_as_single_sign_on(org):
    require("desk", sso_trust=SsoTrust.ALWAYS)
    assert signed_in(org.desk).get("/work/")["Location"].startswith("/mfa/?next=")


def test_only_administrators_see_the_policy_page(org):
    for person in (org.requester, org.desk, org.manager, org.owner):
        assert signed_in(person).get("/mfa/settings/").status_code == 403, person.username
        assert signed_in(person).post("/mfa/settings/", {"required_roles": ["desk"]}
                                      ).status_code == 403
    assert signed_in(org.admin).get("/mfa/settings/").status_code == 200
    assert not MfaPolicy.objects.exists()
    assert signed_in(org.requester).get(f"/mfa/settings/users/{org.desk.pk}/reset/"
                                        ).status_code == 403


def test_the_administrator_saves_the_policy(org):
    client = signed_in(org.admin)
    response = client.post("/mfa/settings/", {"required_roles": ["desk", "admin"],
                                              "sso_trust": "reported"})
    assert response["Location"] == "/mfa/settings/"
    policy = MfaPolicy.objects.get()
    assert policy.required_roles == ["admin", "desk"] and policy.sso_trust == "reported"
    assert policy.updated_by == org.admin
    # In force at the next page, for the administrator too (who has no app yet).
    assert client.get("/mfa/settings/")["Location"].startswith("/mfa/?next=")


def test_a_bad_policy_is_refused_with_a_message(org):
    client = signed_in(org.admin)
    response = client.post("/mfa/settings/", {"required_roles": ["user", "nonsense"],
                                              "sso_trust": "perhaps"})
    assert response.status_code == 422
    assert "is not one of the available choices" in response.text
    assert not MfaPolicy.objects.exists()


def test_the_page_lists_who_must_still_set_it_up_and_who_has_it(org, enrolled):
    enrolled(org.engineer)
    require("desk", "engineer")
    admin = signed_in(org.admin)
    page = admin.get("/mfa/settings/")
    missing = page.text.split('id="missing"')[1].split('id="enrolled"')[0]
    assert ">desk<" in missing and ">engineer<" not in missing and ">expert<" in missing
    enrolled_part = page.text.split('id="enrolled"')[1]
    assert f"/mfa/settings/users/{org.engineer.pk}/reset/" in enrolled_part
    assert "Nobody with" in admin.get("/mfa/settings/?q=zzz").text


def test_the_administrator_resets_a_lost_phone(org, enrolled):
    received = []
    mfa_reset.connect(lambda sender, **kw: received.append(kw), weak=False,
                      dispatch_uid="test-reset")
    try:
        device, codes = enrolled(org.engineer)
        require("engineer")
        victim = signed_in(org.engineer)
        victim.post("/mfa/verify/", {"code": code_after(device)})
        assert victim.get("/work/").status_code == 200

        admin = signed_in(org.admin)
        page = admin.get(f"/mfa/settings/users/{org.engineer.pk}/reset/")
        assert page.status_code == 200 and "10 unused recovery codes" in page.text
        response = admin.post(f"/mfa/settings/users/{org.engineer.pk}/reset/")
        assert response["Location"] == "/mfa/settings/"
    finally:
        mfa_reset.disconnect(dispatch_uid="test-reset")
    assert not Authenticator.objects.filter(user=org.engineer).exists()
    assert not RecoveryDevice.objects.filter(user=org.engineer).exists()
    assert not RecoveryCode.objects.filter(device__user=org.engineer).exists()
    assert received[0]["user"] == org.engineer and received[0]["by"] == org.admin
    # The session verified with the old app is verified no longer: set up a new one.
    assert victim.get("/work/")["Location"].startswith("/mfa/?next=")
    assert signed_in(org.engineer).post("/mfa/verify/", {"code": codes[0]})[
        "Location"] == "/"  # no app to verify with any more; the gate sends on to set-up
    again = admin.post(f"/mfa/settings/users/{org.engineer.pk}/reset/", follow=True)
    assert "has no multi-factor sign-in to reset" in again.text


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_pages_speak_the_persons_language(org, enrolled, language):
    require("desk")
    device, codes = enrolled(org.engineer)
    headers = {"Accept-Language": language}

    def says(response, text):
        with translation.override(language):
            expected = translation.gettext(text)
        assert f'lang="{language}"' in response.text
        assert expected in response.text, (language, expected)

    desk = signed_in(org.desk, language)
    says(desk.get("/mfa/", headers=headers), "Set up multi-factor sign-in")
    engineer = signed_in(org.engineer, language)
    says(engineer.get("/mfa/verify/", headers=headers), "Enter your code")
    says(engineer.post("/mfa/verify/", {"code": "000000"}, headers=headers), "Verify")
    engineer.post("/mfa/verify/", {"code": codes[0]})
    says(engineer.get("/mfa/", headers=headers), "Make new recovery codes")
    # The set-up page's own top bar: signing out, in the person's language.
    sign_out = {"en": "Sign out", "zh-hans": "退出登录"}[language]
    assert sign_out in desk.get("/mfa/", headers=headers).text


def test_the_administrator_can_reset_from_the_admin_too(org, enrolled):
    device, _codes = enrolled(org.engineer)
    admin_client = signed_in(org.admin)
    listing = admin_client.get("/admin/mfa/authenticator/")
    assert listing.status_code == 200 and str(org.engineer) in listing.text
    assert device.key not in admin_client.get(
        f"/admin/mfa/authenticator/{device.pk}/change/").text
    response = admin_client.post("/admin/mfa/authenticator/", {
        "action": "reset_selected", "_selected_action": [device.pk]})
    assert response.status_code == 302
    assert not Authenticator.objects.filter(user=org.engineer).exists()
    assert signed_in(org.owner).get("/admin/mfa/authenticator/").status_code == 403
