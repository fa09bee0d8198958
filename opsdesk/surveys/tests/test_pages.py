"""The survey pages: answering from the mail's links without signing in (form, a score link
and its button, link scanners, spent, expired, tampered), the portal, the results, the
follow-ups and the settings."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone, translation

from opsdesk.incidents.models import Incident
from opsdesk.surveys.models import FollowUp, QuestionKind, Survey, SurveyQuestion, SurveyState
from opsdesk.surveys.services import AnswerInput, survey_answer_by_requester, surveys_tick

from .conftest import TOKEN_RE, closed_incident, invitations_to, token_from

pytestmark = pytest.mark.django_db


@pytest.fixture
def invited(org, survey_settings):
    incident = closed_incident(org, short_description="Printer jams on every page")
    with time_machine.travel(timezone.now() + timedelta(minutes=61)):
        surveys_tick()
    return incident, token_from(invitations_to(org.requester.email)[0])


@pytest.fixture
def english():
    """English in the test and in the requests (the site's default is Chinese)."""
    with translation.override("en"):
        yield


@pytest.fixture
def client(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def text(response) -> str:
    return response.content.decode()


def browser() -> Client:
    """A browser that is not signed in and, like a real one, is held to the CSRF check."""
    return Client(enforce_csrf_checks=True, headers={"Accept-Language": "en"})


def csrf_token(page) -> str:
    """The CSRF token of the page's forms (what the browser sends back with the button)."""
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', text(page)).group(1)


def test_the_mail_link_shows_the_form_and_sending_it_answers(client, invited, english):
    incident, token = invited
    page = client.get(f"/survey/{token}/")
    assert page.status_code == 200 and incident.number in text(page)
    assert "Printer jams on every page" in text(page)
    assert Survey.objects.get().state == SurveyState.INVITED  # looking changes nothing
    sent = client.post(f"/survey/{token}/", {"score": "4", "comment": "Fast"})
    assert sent.status_code == 200 and "Thank you" in text(sent)
    assert Survey.objects.get().score == 4
    again = client.get(f"/survey/{token}/4/")
    assert again.status_code == 409 and "already answered" in text(again)
    assert client.post(f"/survey/{token}/4/").status_code == 409
    assert Survey.objects.get().score == 4


def test_a_score_link_shows_the_score_chosen_and_records_nothing(client, invited, english):
    incident, token = invited
    page = client.get(f"/survey/{token}/2/")
    assert page.status_code == 200 and "You chose 2 of 5: Dissatisfied." in text(page)
    assert 'value="2" checked' in text(page) and "Send my score" in text(page)
    assert f'action="/survey/{token}/2/"' in text(page)  # the button sends the link's score
    assert "Nothing is recorded until you send it." in text(page)
    assert "is recorded." not in text(page) and "Send my answer" in text(page)
    survey = Survey.objects.get()
    assert (survey.state, survey.score) == (SurveyState.INVITED, None)
    assert Incident.objects.get(pk=incident.pk).satisfaction_score is None


def test_a_link_scanner_opening_every_score_link_records_nothing(client, org, invited,
                                                                  english):
    incident, _token = invited
    mail = invitations_to(org.requester.email)[0]
    links = sorted({m.group(0).removeprefix("http://127.0.0.1:8000")
                    for m in TOKEN_RE.finditer(mail.text) if m.group(2)})
    assert len(links) == 5  # the mail's five score links, as a scanner finds them
    for link in links:
        assert client.get(link).status_code == 200
    survey = Survey.objects.get()
    assert (survey.state, survey.score, survey.scored_at) == (SurveyState.INVITED, None, None)
    assert Incident.objects.get(pk=incident.pk).satisfaction_score is None
    with time_machine.travel(timezone.now() + timedelta(hours=2)):  # the tick finalises nothing
        surveys_tick()
    assert Survey.objects.get().state == SurveyState.INVITED
    assert FollowUp.objects.count() == 0


def test_the_button_records_the_score_and_offers_the_rest(invited, english):
    incident, token = invited
    person = browser()
    page = person.get(f"/survey/{token}/2/")
    assert person.post(f"/survey/{token}/2/").status_code == 403  # no CSRF token: refused
    scored = person.post(f"/survey/{token}/2/", {"csrfmiddlewaretoken": csrf_token(page)})
    assert scored.status_code == 200 and "Your score 2 of 5 is recorded" in text(scored)
    assert 'value="2" checked' in text(scored) and 'name="comment"' in text(scored)
    assert f'action="/survey/{token}/"' in text(scored) and "Send my score" not in text(scored)
    survey = Survey.objects.get()
    assert (survey.state, survey.score) == (SurveyState.SCORED, 2)
    assert Incident.objects.get(pk=incident.pk).satisfaction_score == 2
    assert FollowUp.objects.count() == 0  # a follow-up only when the answer is final
    sent = person.post(f"/survey/{token}/", {"csrfmiddlewaretoken": csrf_token(scored),
                                             "score": "2", "comment": "Took three days"})
    assert sent.status_code == 200 and "Thank you" in text(sent)
    survey.refresh_from_db()
    assert (survey.state, survey.comment) == (SurveyState.ANSWERED, "Took three days")
    assert FollowUp.objects.count() == 1


def test_a_score_sent_and_left_is_final_after_the_window(client, invited, english):
    incident, token = invited
    client.post(f"/survey/{token}/1/")
    with time_machine.travel(timezone.now() + timedelta(minutes=61)):
        surveys_tick()
    survey = Survey.objects.get()
    assert (survey.state, survey.score) == (SurveyState.ANSWERED, 1)
    assert Incident.objects.get(pk=incident.pk).satisfaction_score == 1
    assert FollowUp.objects.count() == 1
    assert client.post(f"/survey/{token}/5/").status_code == 409


def test_a_missing_required_answer_keeps_what_was_typed(client, invited, english):
    _incident, token = invited
    question = SurveyQuestion.objects.create(text_zh="态度", text_en="Was the engineer polite?",
                                             kind=QuestionKind.YES_NO, is_required=True)
    page = client.post(f"/survey/{token}/", {"score": "5", "comment": "Keep me"})
    assert page.status_code == 422 and "Please answer this question." in text(page)
    assert "Keep me" in text(page) and "Was the engineer polite?" in text(page)
    assert Survey.objects.get().state == SurveyState.INVITED
    page = client.post(f"/survey/{token}/", {"score": "5", f"q{question.pk}": "yes"})
    assert page.status_code == 200


def test_bad_scores_tampered_and_expired_links_get_clear_pages(client, invited, english):
    _incident, token = invited
    for method in (client.get, client.post):
        bad = method(f"/survey/{token}/9/")
        assert bad.status_code == 422 and "Choose a score from 1" in text(bad)
    assert client.post(f"/survey/{token}/", {"score": "nine"}).status_code == 422
    tampered = client.get(f"/survey/{token[:-1]}{'A' if token[-1] != 'A' else 'B'}/5/")
    assert tampered.status_code == 404 and "not valid" in text(tampered)
    assert client.post(f"/survey/{token[:-1]}{'A' if token[-1] != 'A' else 'B'}/5/"
                       ).status_code == 404
    with time_machine.travel(timezone.now() + timedelta(days=15)):
        expired = client.get(f"/survey/{token}/5/")
        assert client.post(f"/survey/{token}/5/").status_code == 410
    assert expired.status_code == 410 and "expired" in text(expired)
    assert Survey.objects.get().score is None


def test_the_requester_rates_from_the_incident_page_and_the_portal(client, org, invited,
                                                                    english):
    incident, _token = invited
    client.force_login(org.requester)
    listing = client.get("/portal/")
    assert f"/portal/surveys/{incident.number}/?score=5" in text(listing)
    detail = client.get(f"/incidents/{incident.number}/")
    assert "Please rate how we handled this incident" in text(detail)
    form = client.get(f"/portal/surveys/{incident.number}/?score=3")
    assert form.status_code == 200 and 'value="3" checked' in text(form)
    done = client.post(f"/portal/surveys/{incident.number}/", {"score": "3"}, follow=True)
    assert "You rated the handling of" in text(done)
    assert Survey.objects.get().answered_via == "portal"
    assert "/portal/surveys/" not in text(client.get("/portal/"))
    assert "You rated the handling of this incident 3 out of 5" in text(
        client.get(f"/incidents/{incident.number}/"))


def test_nobody_else_opens_a_requesters_survey(client, org, invited):
    incident, _token = invited
    for person in (org.colleague, org.outsider, org.desk):
        client.force_login(person)
        assert client.get(f"/portal/surveys/{incident.number}/").status_code == 404
        assert client.post(f"/portal/surveys/{incident.number}/",
                           {"score": "1"}).status_code == 404
    assert Survey.objects.get().score is None


def test_results_show_the_figures_and_the_answers(client, org, survey_settings, english):
    incident = closed_incident(org, short_description="VPN drops")
    survey_answer_by_requester(user=org.requester, incident=incident,
                               data=AnswerInput(score=2, answers={}, comment="=HYPERLINK(1)"))
    client.force_login(org.owner)
    page = client.get("/surveys/")
    assert page.status_code == 200
    assert incident.number in text(page) and "=HYPERLINK(1)" in text(page)
    assert 'id="fig-responses">1<' in text(page) and 'id="fig-mean">2.00<' in text(page)
    csv_text = client.get("/surveys/?format=csv").content.decode("utf-8-sig")
    assert incident.number in csv_text and "'=HYPERLINK(1)" in csv_text
    narrowed = client.get("/surveys/", {"score": "5"})
    assert incident.number not in text(narrowed)
    assert client.get("/surveys/", {"start": "2026-05-01", "end": "2026-04-01"}).status_code == 422
    assert client.get("/surveys/", {"group": "NOPE"}).status_code == 422


@pytest.mark.parametrize("role", ["requester", "engineer", "desk", "admin"])
def test_results_and_follow_ups_are_for_owners_and_managers(client, org, survey_settings, role):
    closed = closed_incident(org)
    survey_answer_by_requester(user=org.requester, incident=closed,
                               data=AnswerInput(score=1, answers={}))
    follow_up = FollowUp.objects.get()
    client.force_login(getattr(org, role))
    assert client.get("/surveys/").status_code == 403
    assert client.get("/surveys/follow-ups/").status_code == 403
    assert client.get(f"/surveys/follow-ups/{follow_up.pk}/").status_code == 404
    assert client.post(f"/surveys/follow-ups/{follow_up.pk}/done/",
                       {"outcome": "x"}).status_code == 404


def test_a_manager_closes_the_loop_in_the_queue(client, org, survey_settings, english):
    incident = closed_incident(org)
    survey_answer_by_requester(user=org.requester, incident=incident,
                               data=AnswerInput(score=1, answers={}, comment="Rude"))
    follow_up = FollowUp.objects.get()
    client.force_login(org.manager)
    queue = client.get("/surveys/follow-ups/")
    assert incident.number in text(queue) and "Rude" in text(queue)
    client.post(f"/surveys/follow-ups/{follow_up.pk}/take/")
    missing = client.post(f"/surveys/follow-ups/{follow_up.pk}/done/", {"outcome": ""})
    assert missing.status_code == 422
    done = client.post(f"/surveys/follow-ups/{follow_up.pk}/done/",
                       {"outcome": "Apologised; coached the engineer"}, follow=True)
    assert "Apologised; coached the engineer" in text(done)
    follow_up.refresh_from_db()
    assert follow_up.status == "done" and follow_up.assignee == org.manager
    assert incident.number not in text(client.get("/surveys/follow-ups/"))
    assert incident.number in text(client.get("/surveys/follow-ups/?status=done"))
    client.force_login(org.owner)  # the process owner reads, never acts
    assert client.get(f"/surveys/follow-ups/{follow_up.pk}/").status_code == 200
    assert client.post(f"/surveys/follow-ups/{follow_up.pk}/take/").status_code == 403


def test_the_process_owner_changes_the_settings_and_questions(client, org, english):
    client.force_login(org.owner)
    assert client.get("/settings/surveys/").status_code == 200
    saved = client.post("/settings/surveys/", {
        "is_enabled": "on", "sample_percent": "25", "delay_minutes": "120",
        "expiry_days": "7", "low_score_threshold": "2", "follow_up_days": "3",
        "closure_codes": ["01", "02"], "sources": ["03"]})
    assert saved.status_code == 302
    from opsdesk.surveys.services import survey_settings_get

    row = survey_settings_get()
    assert (row.sample_percent, row.delay_minutes, row.expiry_days) == (25, 120, 7)
    assert sorted(row.closure_codes.values_list("code", flat=True)) == ["01", "02"]
    bad = client.post("/settings/surveys/", {"sample_percent": "150", "delay_minutes": "1",
                                             "expiry_days": "0", "low_score_threshold": "9",
                                             "follow_up_days": "1"})
    assert bad.status_code == 422 and survey_settings_get().sample_percent == 25
    added = client.post("/settings/surveys/questions/new/", {
        "text_zh": "工程师是否礼貌？", "text_en": "Was the engineer polite?", "kind": "yes_no",
        "is_active": "on", "sort_order": "1"})
    assert added.status_code == 302
    assert SurveyQuestion.objects.get().text_en == "Was the engineer polite?"
    assert client.post("/settings/surveys/questions/new/", {
        "text_zh": "", "text_en": "Only English", "kind": "score",
        "sort_order": "2"}).status_code == 422


@pytest.mark.parametrize("role", ["requester", "engineer", "manager", "desk"])
def test_only_process_owners_and_administrators_change_the_settings(client, org, role):
    client.force_login(getattr(org, role))
    assert client.get("/settings/surveys/").status_code == 403
    assert client.post("/settings/surveys/", {"sample_percent": "1"}).status_code == 403


def test_the_incident_page_shows_staff_the_answer(client, org, survey_settings, english):
    incident = closed_incident(org)
    survey_answer_by_requester(user=org.requester, incident=incident,
                               data=AnswerInput(score=1, answers={}, comment="<b>slow</b>"))
    client.force_login(org.manager)
    page = text(client.get(f"/incidents/{incident.number}/"))
    assert "Satisfaction" in page and "&lt;b&gt;slow&lt;/b&gt;" in page
    assert f"/surveys/follow-ups/{FollowUp.objects.get().pk}/" in page
    assert Incident.objects.get(pk=incident.pk).satisfaction_score == 1


@pytest.mark.parametrize(("chosen", "browser"), [("zh-hans", "en"), ("en", "zh-hans")])
def test_the_mail_link_speaks_the_requesters_language(client, org, survey_settings, chosen,
                                                      browser):
    org.requester.language = chosen
    org.requester.save()
    closed_incident(org)
    with time_machine.travel(timezone.now() + timedelta(minutes=61)):
        surveys_tick()
    token = token_from(invitations_to(org.requester.email)[0])
    for path in (f"/survey/{token}/", f"/survey/{token}/4/"):
        page = client.get(path, HTTP_ACCEPT_LANGUAGE=browser)
        assert f'<html lang="{chosen}">' in text(page)
    scored = client.post(f"/survey/{token}/4/", HTTP_ACCEPT_LANGUAGE=browser)
    assert f'<html lang="{chosen}">' in text(scored)
