"""Satisfaction surveys in the browser, in English and in Chinese.

An incident is closed; the tick mails its requester the survey (through the real SMTP test
server); the requester clicks a score in the mail without signing in, sees it chosen but not yet
recorded (link scanners open every link), sends it with the button, sees it recorded, adds a
comment and sends the form; the same link then says the survey is answered. A low score opens
a follow-up that the incident manager closes with what was done. The portal shows the signed-in
requester "please rate" on another closed incident.
"""

import re

import pytest
from playwright.sync_api import expect

from opsdesk.core.testing.factories import incident_factory
from opsdesk.incidents.services import incident_transition
from opsdesk.notifications.services import deliveries_send_due
from opsdesk.notifications.tests.conftest import smtp_server  # noqa: F401  (fixture)
from opsdesk.reference.models import ResolutionCode
from opsdesk.surveys.models import FollowUp, Survey, SurveyState
from opsdesk.surveys.services import survey_settings_get, surveys_tick

from .conftest import DJANGO_LANGUAGES

SCORE_LINK = re.compile(r"http://127\.0\.0\.1:8000(/survey/[A-Za-z0-9_-]+/)(\d)/")


def closed(org, text: str):
    incident = incident_factory(by=org.desk, requester=org.requester, short_description=text)
    incident = incident_transition(incident=incident, action="resolve", by=org.desk,
                                   resolution="Replaced the toner",
                                   resolution_code=ResolutionCode.objects.get(pk="01"))
    return incident_transition(incident=incident, action="confirm", by=org.requester)


def surveys_now():
    """Surveys for every closure, mailed at once."""
    row = survey_settings_get()
    row.sample_percent, row.delay_minutes, row.low_score_threshold = 100, 0, 2
    row.save()


def score_links(server, address: str) -> dict[int, str]:
    """The score links of the last mail to `address`, by score (paths on this site)."""
    texts = [m.get_body(("plain",)).get_content() for _f, rcpt, m in server.messages
             if rcpt == [address]]
    return {int(m.group(2)): m.group(1) + m.group(2) + "/" for m in SCORE_LINK.finditer(texts[-1])}


@pytest.mark.parametrize("language", ["en", "zh"])
def test_answering_from_the_mail_link(org, new_page, page_for, smtp_server, tr, shoot,
                                      language):
    org.requester.language = DJANGO_LANGUAGES[language]
    org.requester.save()
    surveys_now()
    incident = closed(org, "Printer on floor 3 jams")
    assert surveys_tick()["invited"] == 1
    deliveries_send_due()
    links = score_links(smtp_server, org.requester.email)
    assert sorted(links) == [1, 2, 3, 4, 5]

    page = new_page(language)  # not signed in: the token is enough
    page.goto(links[2])
    expect(page.locator("h1")).to_have_text(tr(language, "How did we do?"))
    expect(page.locator("input[name=score][value='2']")).to_be_checked()
    expect(page.locator(".banner")).to_have_count(0)
    assert Survey.objects.get().state == SurveyState.INVITED  # opening the link records nothing
    shoot(page, f"79-survey-score-{language}")
    page.get_by_role("button", name=tr(language, "Send my score")).click()
    expect(page.locator(".banner strong")).to_have_text(
        tr(language, "Thank you! Your score %(score)s of 5 is recorded.") % {"score": 2})
    expect(page.locator("main")).to_contain_text(incident.number)
    expect(page.locator("input[name=score][value='2']")).to_be_checked()
    assert Survey.objects.get().state == SurveyState.SCORED
    page.locator("#id_comment").fill("Took three days / 等了三天")
    shoot(page, f"80-survey-form-{language}")
    page.get_by_role("button", name=tr(language, "Send my answer")).click()
    expect(page.locator("h1")).to_have_text(tr(language, "Thank you for your answer"))
    survey = Survey.objects.get()
    assert (survey.state, survey.score, survey.comment) == (
        SurveyState.ANSWERED, 2, "Took three days / 等了三天")

    page.goto(links[5])  # the link is spent
    expect(page.locator(".survey-refused")).to_have_text(
        tr(language, "You have already answered this survey. Thank you!"))
    assert Survey.objects.get().score == 2

    # The low score waits for the incident manager, who closes the loop.
    follow_up = FollowUp.objects.get()
    manager = page_for(org.manager, language)
    manager.goto("/surveys/follow-ups/")
    manager.get_by_role("link", name=incident.number).click()
    expect(manager.locator("main")).to_contain_text("Took three days")
    manager.get_by_label(re.compile("^" + re.escape(tr(language, "What was done")))).fill(
        "Called back; toner now stocked on floor 3")
    manager.get_by_role("button", name=tr(language, "Done"), exact=True).click()
    expect(manager.locator("#outcome")).to_have_text("Called back; toner now stocked on floor 3")
    follow_up.refresh_from_db()
    assert follow_up.status == "done" and follow_up.done_by == org.manager


@pytest.mark.parametrize("language", ["en", "zh"])
def test_the_portal_asks_the_signed_in_requester(org, page_for, tr, language):
    surveys_now()
    incident = closed(org, "VPN drops every hour")
    page = page_for(org.requester, language)
    page.goto("/portal/")
    panel = page.locator(".survey-awaiting")
    expect(panel).to_contain_text(incident.number)
    panel.get_by_role("link", name=re.compile(r"^5 · ")).click()
    expect(page.locator("input[name=score][value='5']")).to_be_checked()
    page.get_by_role("button", name=tr(language, "Send my answer")).click()
    expect(page.locator("h1")).to_have_text(tr(language, "Thank you for your answer"))
    assert Survey.objects.get().answered_via == "portal"
    page.goto("/portal/")
    expect(page.locator(".survey-awaiting")).to_have_count(0)
