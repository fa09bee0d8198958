"""Template tags of the surveys part: the incident page's satisfaction panel and the portal's
"please rate" list. Each costs one query, and none where it cannot apply."""

from django import template
from django.utils import timezone

from opsdesk.incidents.choices import Status
from opsdesk.incidents.services.relations import user_is_staff
from opsdesk.surveys import selectors
from opsdesk.surveys.models import SCORE_LABELS, SCORES, SurveyState
from opsdesk.surveys.permissions import may_view_results

register = template.Library()


@register.inclusion_tag("web/surveys/_incident_panel.html")
def incident_survey(incident, user):
    """A closed incident's survey: "please rate" for its requester, the answer for staff."""
    if incident.status != Status.CLOSED:
        return {"show": False}
    is_requester = incident.requester_id == user.pk
    staff = user_is_staff(user)
    if not (is_requester or staff):
        return {"show": False}
    survey = selectors.incident_survey(incident=incident)
    if survey is None or (is_requester and not staff and survey.state in (
            SurveyState.CANCELLED,)):
        return {"show": False}
    answerable = survey.is_open and timezone.now() < survey.expires_at
    return {"show": True, "incident": incident, "survey": survey,
            "is_requester": survey.requester_id == user.pk, "staff": staff,
            "answerable": answerable, "results": may_view_results(user),
            "follow_up": getattr(survey, "follow_up", None),
            "scores": [(s, SCORE_LABELS[s]) for s in SCORES]}


@register.inclusion_tag("web/surveys/_portal_awaiting.html")
def surveys_awaiting(user):
    """The signed-in person's surveys they can answer now, newest first."""
    return {"surveys": selectors.surveys_awaiting(user=user),
            "scores": [(s, SCORE_LABELS[s]) for s in SCORES]}
