"""The surveys API: settings and questions (process owners), responses, figures and follow-ups
(process owners, incident managers), and answering by the mail's token without signing in."""

import json
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from opsdesk.api.tests.conftest import ApiClient
from opsdesk.surveys.models import FollowUp, Survey, SurveyQuestion, SurveyState
from opsdesk.surveys.services import AnswerInput, survey_answer_by_requester, surveys_tick

from .conftest import closed_incident, invitations_to, token_from

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(org):
    return type("Clients", (), {name: ApiClient(user) for name, user in org.people.items()})


def anonymous_post(path, body):
    return Client().post(f"/api/v1{path}", data=json.dumps(body),
                         content_type="application/json")


def test_the_process_owner_reads_and_changes_the_settings(api):
    assert api.owner.get("/surveys/settings").json()["sample_percent"] == 100
    changed = api.owner.put("/surveys/settings", {"sample_percent": 20, "delay_minutes": 30,
                                                  "closure_codes": ["01"], "channels": ["03"]})
    assert changed.status_code == 200, changed.content
    body = changed.json()
    assert (body["sample_percent"], body["delay_minutes"], body["updated_by"]) == (
        20, 30, "owner")
    assert [c["code"] for c in body["closure_codes"]] == ["01"]
    assert [c["code"] for c in body["channels"]] == ["03"]
    bad = api.owner.put("/surveys/settings", {"sample_percent": 101, "channels": ["99"],
                                              "colour": "red"})
    assert bad.status_code == 422 and "colour" in bad.json()["errors"]
    bad = api.owner.put("/surveys/settings", {"sample_percent": 101, "channels": ["99"]})
    assert bad.status_code == 422 and set(bad.json()["errors"]) == {"channels"}
    bad = api.owner.put("/surveys/settings", {"sample_percent": 101})
    assert bad.status_code == 422 and "sample_percent" in bad.json()["errors"]
    assert api.owner.get("/surveys/settings").json()["sample_percent"] == 20


@pytest.mark.parametrize("role", ["requester", "engineer", "desk", "manager"])
def test_others_may_not_touch_the_settings(api, role):
    client = getattr(api, role)
    assert client.get("/surveys/settings").status_code == 403
    assert client.put("/surveys/settings", {"sample_percent": 1}).status_code == 403
    assert client.post("/surveys/questions", {"text_zh": "问", "text_en": "Q"}).status_code == 403


def test_questions_are_added_and_changed(api, org, survey_settings):
    created = api.owner.post("/surveys/questions", {"text_zh": "速度如何？",
                                                    "text_en": "How fast was it?"})
    assert created.status_code == 201 and created.json()["kind"] == "score"
    question = created.json()["id"]
    assert api.owner.post("/surveys/questions", {"text_en": "Only English"}).status_code == 422
    incident = closed_incident(org)
    survey_answer_by_requester(user=org.requester, incident=incident,
                               data=AnswerInput(score=5, answers={str(question): "4"}))
    refused = api.owner.patch(f"/surveys/questions/{question}", {"kind": "text"})
    assert refused.status_code == 409 and "kind" in refused.json()["errors"]
    retired = api.owner.patch(f"/surveys/questions/{question}", {"is_active": False})
    assert retired.json()["is_active"] is False
    assert api.owner.patch("/surveys/questions/9999", {"is_active": True}).status_code == 404


def test_answering_by_token_without_signing_in(org, survey_settings):
    incident = closed_incident(org)
    with time_machine.travel(timezone.now() + timedelta(minutes=61)):
        surveys_tick()
        token = token_from(invitations_to(org.requester.email)[0])
        survey = Client().get(f"/api/v1/surveys/answer/{token}")
        assert survey.status_code == 200
        assert (survey.json()["incident"], survey.json()["state"]) == (incident.number, "invited")
        bad = anonymous_post(f"/surveys/answer/{token}", {"score": 7})
        assert bad.status_code == 422 and "score" in bad.json()["errors"]
        done = anonymous_post(f"/surveys/answer/{token}", {"score": 5, "comment": "Great"})
        assert done.status_code == 200 and done.json()["state"] == "answered"
        again = anonymous_post(f"/surveys/answer/{token}", {"score": 1})
        assert again.status_code == 409 and again.json()["detail"]
        assert Client().get(f"/api/v1/surveys/answer/{token}x").status_code == 404
    assert Survey.objects.get().score == 5


def test_an_expired_token_is_a_410(org, survey_settings):
    closed_incident(org)
    with time_machine.travel(timezone.now() + timedelta(minutes=61)):
        surveys_tick()
        token = token_from(invitations_to(org.requester.email)[0])
    with time_machine.travel(timezone.now() + timedelta(days=15)):
        assert anonymous_post(f"/surveys/answer/{token}", {"score": 5}).status_code == 410


def test_the_requester_answers_their_incident(api, org, survey_settings):
    incident = closed_incident(org)
    assert api.colleague.post(f"/surveys/incidents/{incident.number}",
                              {"score": 5}).status_code == 404
    answered = api.requester.post(f"/surveys/incidents/{incident.number}",
                                  {"score": 2, "comment": "Slow"})
    assert answered.status_code == 200 and answered.json()["state"] == "answered"
    assert Survey.objects.get().answered_via == "api" and FollowUp.objects.count() == 1


def test_responses_summary_and_follow_ups(api, org, survey_settings):
    for score in (5, 4, 1):
        incident = closed_incident(org)
        survey_answer_by_requester(user=org.requester, incident=incident,
                                   data=AnswerInput(score=score, answers={}, comment="c"))
    listed = api.manager.get("/surveys/responses")
    assert listed.status_code == 200 and listed.json()["total"] == 3
    assert [r["score"] for r in api.owner.get("/surveys/responses", score=1).json()["items"]] \
        == [1]
    summary = api.owner.get("/surveys/summary").json()
    assert (summary["responses"], summary["satisfied"]) == (3, 2)
    assert summary["mean"] == pytest.approx(10 / 3) and summary["scores"]["4"] == 1
    assert api.owner.get("/surveys/responses", group="NOPE").status_code == 422
    assert api.owner.get("/surveys/responses", start="2026-05-01",
                         end="2026-04-01").status_code == 422
    for role in ("requester", "engineer", "desk"):
        assert getattr(api, role).get("/surveys/responses").status_code == 403
        assert getattr(api, role).get("/surveys/follow-ups").status_code == 403
    follow_up = api.manager.get("/surveys/follow-ups").json()["items"][0]
    assert follow_up["score"] == 1
    assert api.owner.post(f"/surveys/follow-ups/{follow_up['id']}/take").status_code == 403
    taken = api.manager.post(f"/surveys/follow-ups/{follow_up['id']}/take")
    assert taken.json()["assignee"] == "manager"
    assert api.manager.post(f"/surveys/follow-ups/{follow_up['id']}/done",
                            {"outcome": ""}).status_code == 422
    done = api.manager.post(f"/surveys/follow-ups/{follow_up['id']}/done",
                            {"outcome": "Called back"})
    assert done.json()["status"] == "done"
    assert api.manager.get("/surveys/follow-ups", status="done").json()["total"] == 1
    assert SurveyQuestion.objects.count() == 0 and Survey.objects.filter(
        state=SurveyState.ANSWERED).count() == 3
