"""Multi-factor sign-in as a person meets it, in English and Chinese: the administrator requires
it for the service desk; an agent signs in with their password, is sent to set up an app, scans
(the test reads the key off the page and computes the codes as an app does), keeps the recovery
codes, and later signs in with a code from the app and with a recovery code. Screenshots of the
set-up page, the recovery codes and the verify page."""


import pytest
from playwright.sync_api import expect

from opsdesk.mfa.models import Authenticator
from opsdesk.mfa.services import policy_update
from opsdesk.mfa.testing.helpers import PASSWORD, code_after, code_from_secret

LANGUAGES = ["en", "zh"]


def sign_in_again(page, user):
    """Sign out from the top bar, then through the /login/ form once more."""
    page.locator("header form[action='/logout/'] button").click()
    page.wait_for_url("**/login/**")
    page.locator("#id_username").fill(user.username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/mfa/verify/**")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_an_agent_sets_up_an_app_and_signs_in_with_it(org, page_for, tr, shoot, lang):
    policy_update(by=org.admin, required_roles=["desk"], sso_trust="never")
    page = page_for(org.desk, lang)

    # Straight from the password to setting up the app: nothing else is offered.
    page.wait_for_url("**/mfa/?next=*")
    expect(page.locator("h1")).to_have_text(tr(lang, "Set up multi-factor sign-in"))
    expect(page.locator("header nav")).to_have_count(0)
    expect(page.locator("figure.mfa-qr svg")).to_be_visible()
    secret = page.locator("#mfa-secret").inner_text()
    shoot(page, f"mfa-01-set-up-{lang}")
    page.goto("/work/")
    page.wait_for_url("**/mfa/?next=*")

    page.locator("#id_code").fill("000000")
    page.locator("main form button[type=submit]").click()
    expect(page.locator(".field .errors")).to_be_visible()
    page.locator("#id_code").fill(code_from_secret(secret))
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/mfa/recovery/**")
    codes = page.locator("#recovery-codes code").all_inner_texts()
    assert len(codes) == 10
    with page.expect_download() as download:
        page.locator("a[href='/mfa/recovery/download/']").click()
    assert all(code in download.value.path().read_text() for code in codes)
    shoot(page, f"mfa-02-recovery-codes-{lang}")
    page.locator("form[action='/mfa/recovery/done/'] button").click()
    page.wait_for_url(lambda url: "/mfa/" not in url)
    expect(page.locator("header nav")).to_be_visible()

    # Next time: the password, then a recovery code (the phone is in another room).
    sign_in_again(page, org.desk)
    expect(page.locator("h1")).to_have_text(tr(lang, "Enter your code"))
    shoot(page, f"mfa-03-verify-{lang}")
    page.locator("#id_code").fill(codes[0])
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(lambda url: "/mfa/" not in url)
    expect(page.locator(".message.warning")).to_be_visible()

    # And the time after: a code from the app (the next one: the first was used up).
    sign_in_again(page, org.desk)
    page.locator("#id_code").fill(codes[0])  # used already
    page.locator("main form button[type=submit]").click()
    expect(page.locator(".field .errors")).to_be_visible()
    page.locator("#id_code").fill(code_after(Authenticator.objects.get(user=org.desk)))
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(lambda url: "/mfa/" not in url)

    page.goto("/mfa/")
    expect(page.locator("#codes-left")).to_have_text("9")
    shoot(page, f"mfa-04-manage-{lang}")
