"""The demo's surveys: the closed incidents were invited, about half answered (by mail and in
the portal), low scores followed up, the old unanswered ones expired; once only."""

from django.utils import timezone

from opsdesk.demo.services import demo_company_create
from opsdesk.demo.surveys import surveys_seed
from opsdesk.incidents.choices import Status
from opsdesk.incidents.models import Incident
from opsdesk.surveys.models import FollowUp, Survey, SurveyQuestion, SurveyState


def test_the_demo_answers_its_closed_incidents_surveys_once(db):
    demo_company_create(incidents=80, seed=3)  # seeds the surveys too
    surveys_seed(seed=3)  # nothing more if the demo already did
    closed = Incident.objects.filter(status=Status.CLOSED).count()
    assert Survey.objects.count() == closed  # every closure of the demo was surveyed
    assert Survey.objects.filter(state=SurveyState.ANSWERED).count() >= 5
    assert not Survey.objects.filter(state=SurveyState.INVITED,
                                     expires_at__lte=timezone.now()).exists()  # expired
    assert set(Survey.objects.filter(state=SurveyState.ANSWERED)
               .values_list("answered_via", flat=True)) == {"email", "portal"}
    assert SurveyQuestion.objects.count() == 2
    for survey in Survey.objects.filter(state=SurveyState.ANSWERED, score__lte=2):
        assert FollowUp.objects.filter(survey=survey).exists()
    for survey in Survey.objects.filter(state=SurveyState.ANSWERED).select_related("incident"):
        assert survey.incident.satisfaction_score == survey.score
        assert survey.incident.closed_at <= survey.answered_at
    assert surveys_seed(seed=3) == 0
