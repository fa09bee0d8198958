"""Setting up an authenticator app, recovery codes, switching off, and the signals."""

import time

import pytest

from opsdesk.mfa import selectors, services
from opsdesk.mfa.models import Authenticator, MfaPolicy, RecoveryCode, recovery_code_digest
from opsdesk.mfa.signals import mfa_disabled, mfa_enabled
from opsdesk.mfa.testing.helpers import (
    code_after,
    code_from_secret,
    secret_on_page,
    signed_in,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def caught():
    """caught(signal): the keyword arguments of every sending of `signal` in the test."""
    received = []
    connected = []

    def catch(signal):
        def receiver(sender, **kwargs):
            received.append({"signal": signal, "sender": sender, **kwargs})

        signal.connect(receiver, weak=False)
        connected.append((signal, receiver))
        return received

    yield catch
    for signal, receiver in connected:
        signal.disconnect(receiver)


def test_the_page_shows_a_qr_code_and_the_key_and_a_real_code_turns_it_on(org, caught):
    enabled = caught(mfa_enabled)
    client = signed_in(org.engineer)
    page = client.get("/mfa/")
    assert page.status_code == 200
    assert "no-store" in page["Cache-Control"]
    assert '<svg' in page.text and 'class="mfa-qr-code"' in page.text
    assert "<script" not in page.text.split("<main")[1] and "style=" not in page.text
    secret = secret_on_page(page.text)
    device = Authenticator.objects.get(user=org.engineer)
    assert not device.confirmed and "issuer=opsdesk" in device.config_url

    response = client.post("/mfa/setup/", {"code": code_from_secret(secret)})
    assert response.status_code == 302 and response["Location"].startswith("/mfa/recovery/")
    device.refresh_from_db()
    assert device.confirmed
    assert [e["user"] for e in enabled] == [org.engineer] and enabled[0]["by"] == org.engineer
    assert enabled[0]["request"] is not None
    # The session that set it up is verified: no detour through /mfa/verify/.
    assert client.get("/work/").status_code == 200

    codes_page = client.get("/mfa/recovery/")
    shown = [c for c in codes_page.text.split("<code>")[1:]]
    assert len(shown) == 10
    shown = {s.split("</code>")[0] for s in shown}
    recovery = selectors.recovery_device_of(org.engineer)
    stored = set(RecoveryCode.objects.filter(device=recovery).values_list("digest", flat=True))
    assert {recovery_code_digest(device_id=recovery.pk, code=services.normalise(code))
            for code in shown} == stored  # the codes shown are the ones stored (as digests)
    download = client.get("/mfa/recovery/download/")
    assert download["Content-Disposition"].startswith("attachment")
    assert all(code in download.content.decode() for code in shown)


def test_the_codes_are_shown_once(org, enrolled):
    client = signed_in(org.engineer)
    page = client.get("/mfa/")
    client.post("/mfa/setup/", {"code": code_from_secret(secret_on_page(page.text))})
    assert client.post("/mfa/recovery/done/", {"next": "/work/"})["Location"] == "/work/"
    assert client.get("/mfa/recovery/")["Location"] == "/mfa/"
    assert client.get("/mfa/recovery/download/").status_code == 404


def test_a_wrong_first_code_leaves_it_off(org):
    client = signed_in(org.engineer)
    secret = secret_on_page(client.get("/mfa/").text)
    response = client.post("/mfa/setup/", {"code": code_from_secret(
        secret, at=time.time() + 600)})
    assert response.status_code == 422 and "not right" in response.text
    assert secret_on_page(response.text) == secret  # the same key to try again with
    assert not Authenticator.objects.filter(user=org.engineer, confirmed=True).exists()
    assert client.post("/mfa/setup/", {"code": ""}).status_code == 422
    # Recovery codes do not exist yet, so nothing but the app's code is taken.
    assert client.post("/mfa/setup/", {"code": "abcde-fghjk"}).status_code == 422


def test_new_recovery_codes_replace_the_old_ones(org, enrolled):
    device, old = enrolled(org.engineer)
    client = signed_in(org.engineer)
    client.post("/mfa/verify/", {"code": old[0]})
    assert client.post("/mfa/recovery/new/")["Location"] == "/mfa/recovery/"
    page = client.get("/mfa/recovery/").text
    new = {services.normalise(s.split("</code>")[0]) for s in page.split("<code>")[1:]}
    assert len(new) == 10 and not new & set(old)
    assert selectors.recovery_codes_left(org.engineer) == 10
    other = signed_in(org.engineer)
    assert other.post("/mfa/verify/", {"code": old[1]}).status_code == 422
    assert other.post("/mfa/verify/", {"code": sorted(new)[0]}).status_code == 302
    assert selectors.recovery_codes_left(org.engineer) == 9


def test_switching_off_needs_a_current_code(org, enrolled, caught):
    disabled = caught(mfa_disabled)
    device, codes = enrolled(org.engineer)
    client = signed_in(org.engineer)
    client.post("/mfa/verify/", {"code": codes[0]})
    page = client.get("/mfa/")
    assert page.status_code == 200 and 'id="codes-left"' in page.text
    assert client.post("/mfa/disable/", {"code": "000000"}).status_code == 422
    assert client.post("/mfa/disable/", {"code": ""}).status_code == 422
    assert Authenticator.objects.filter(user=org.engineer).exists() and not disabled
    response = client.post("/mfa/disable/", {"code": code_after(device)})
    assert response["Location"] == "/mfa/"
    assert not Authenticator.objects.filter(user=org.engineer).exists()
    assert not RecoveryCode.objects.filter(device__user=org.engineer).exists()
    assert [e["user"] for e in disabled] == [org.engineer]
    assert signed_in(org.engineer).get("/work/").status_code == 200  # no second step now


def test_it_cannot_be_switched_off_while_the_role_requires_it(org, enrolled):
    device, codes = enrolled(org.engineer)
    MfaPolicy.objects.create(pk=1, required_roles=["engineer"])
    client = signed_in(org.engineer)
    client.post("/mfa/verify/", {"code": codes[0]})
    assert "cannot be switched off" in client.get("/mfa/").text
    response = client.post("/mfa/disable/", {"code": code_after(device)})
    assert response.status_code == 422 and "cannot be switched off" in response.text
    assert Authenticator.objects.filter(user=org.engineer, confirmed=True).exists()


def test_it_cannot_be_set_up_twice(org, enrolled):
    enrolled(org.engineer)
    with pytest.raises(services.Conflict):
        services.enrolment_device(user=org.engineer)


def test_the_profile_links_to_the_page(org):
    assert 'href="/mfa/"' in signed_in(org.requester).get("/profile/").text
