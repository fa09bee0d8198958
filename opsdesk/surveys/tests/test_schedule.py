"""Closing an incident schedules its survey when the settings and the sample say so; the tick
mails it after the delay, in the requester's language, once; unanswered surveys expire."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone, translation

from opsdesk.incidents.services import incident_transition
from opsdesk.reference.models import ClosureCode, Source
from opsdesk.surveys.models import Survey, SurveyState
from opsdesk.surveys.sampling import is_sampled
from opsdesk.surveys.services import surveys_tick

from .conftest import closed_incident, invitations_to, resolved_incident, token_from

pytestmark = pytest.mark.django_db


def test_closing_schedules_one_survey_after_the_delay(org, survey_settings):
    incident = closed_incident(org)
    survey = Survey.objects.get(incident=incident)
    assert survey.state == SurveyState.SCHEDULED and survey.requester == org.requester
    assert survey.closed_at == incident.closed_at
    assert survey.send_after == incident.closed_at + timedelta(minutes=60)
    assert survey.expires_at == survey.send_after + timedelta(days=14)
    assert survey.token_digest is None


def test_resolving_or_cancelling_schedules_nothing(org, survey_settings):
    resolved_incident(org)
    from opsdesk.core.testing.factories import incident_factory

    cancelled = incident_factory(by=org.desk, requester=org.requester)
    incident_transition(incident=cancelled, action="cancel", by=org.desk, reason="Twice")
    assert Survey.objects.count() == 0


def test_the_invitation_waits_for_the_delay_then_goes_once(org, survey_settings):
    closed_incident(org)
    assert surveys_tick()["invited"] == 0 and invitations_to(org.requester.email) == []
    with time_machine.travel(timezone.now() + timedelta(minutes=61)):
        assert surveys_tick()["invited"] == 1
        assert surveys_tick()["invited"] == 0  # claimed: a second tick mails nothing
    mails = invitations_to(org.requester.email)
    assert len(mails) == 1
    survey = Survey.objects.get()
    assert survey.state == SurveyState.INVITED and survey.token_digest
    token = token_from(mails[0])
    for score in range(1, 6):
        assert f"/survey/{token}/{score}/" in mails[0].text
        assert f"/survey/{token}/{score}/" in mails[0].html
    assert f"/survey/{token}/" in mails[0].text and token not in survey.token_digest


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_invitation_is_in_the_requester_language(org, survey_settings, language):
    with translation.override(language):  # the catalogue's words, whatever is translated yet
        words = translation.gettext("How did we do?")
    org.requester.language = language
    org.requester.save()
    incident = closed_incident(org)
    with time_machine.travel(timezone.now() + timedelta(minutes=61)):
        surveys_tick()
    mail = invitations_to(org.requester.email)[0]
    assert words in mail.subject and incident.number in mail.subject
    assert mail.language == language


def test_switched_off_or_sampled_out_incidents_get_no_survey(org, survey_settings):
    survey_settings.is_enabled = False
    survey_settings.save()
    closed_incident(org)
    survey_settings.is_enabled, survey_settings.sample_percent = True, 0
    survey_settings.save()
    closed_incident(org)
    assert Survey.objects.count() == 0


def test_sampling_follows_the_incident_id(org, survey_settings):
    survey_settings.sample_percent = 50
    survey_settings.save()
    incidents = [closed_incident(org) for _n in range(8)]
    expected = {i.pk for i in incidents if is_sampled(incident_id=i.pk, percent=50)}
    assert set(Survey.objects.values_list("incident_id", flat=True)) == expected


def test_only_the_chosen_closure_codes_and_channels_are_surveyed(org, survey_settings):
    survey_settings.closure_codes.set([ClosureCode.objects.get(pk="01")])
    survey_settings.sources.set([Source.objects.get(pk="01")])
    phone = closed_incident(org, source=Source.objects.get(pk="01"))
    portal = closed_incident(org, source=Source.objects.get(pk="03"))
    not_reproduced = closed_incident(org, source=Source.objects.get(pk="01"),
                                     closure_code="05")
    surveyed = set(Survey.objects.values_list("incident_id", flat=True))
    assert surveyed == {phone.pk}
    assert portal.pk not in surveyed and not_reproduced.pk not in surveyed


def test_a_requester_nobody_can_reach_is_not_surveyed(org, survey_settings):
    from opsdesk.core.testing.factories import UserFactory

    machine = UserFactory(username="monitoring", email="")
    machine.set_unusable_password()
    machine.save()
    closed_incident(org, requester=machine, closure_code="01")
    assert Survey.objects.count() == 0


def test_surveys_switched_off_before_the_invitation_are_not_sent(org, survey_settings):
    closed_incident(org)
    survey_settings.is_enabled = False
    survey_settings.save()
    with time_machine.travel(timezone.now() + timedelta(minutes=61)):
        surveys_tick()
    assert Survey.objects.get().state == SurveyState.CANCELLED
    assert invitations_to(org.requester.email) == []


def test_unanswered_surveys_expire(org, survey_settings):
    closed_incident(org)
    with time_machine.travel(timezone.now() + timedelta(minutes=61)):
        surveys_tick()
    with time_machine.travel(timezone.now() + timedelta(days=14, minutes=62)):
        assert surveys_tick()["expired"] == 1
    assert Survey.objects.get().state == SurveyState.EXPIRED
