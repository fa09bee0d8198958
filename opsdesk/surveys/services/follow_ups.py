"""Closing the loop: a low score opens a follow-up for the incident managers, who take it,
call the requester back and record what was done.

The incident is closed, so the follow-up is a record of its own (the collaboration tasks end
with their incident); it has its own queue (/surveys/follow-ups/) and a line in the incident's
history when it opens and when it is done.
"""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from opsdesk.core.exceptions import Conflict, InvalidInput, NotPermitted
from opsdesk.incidents import events
from opsdesk.incidents.choices import Channel
from opsdesk.incidents.models import Incident

from .. import notify
from ..models import FollowUp, FollowUpStatus
from ..permissions import may_follow_up
from .settings import survey_settings_get

OUTCOME_MAX = 4000
HISTORY_FIELD = "satisfaction_follow_up"


def follow_up_create(*, survey, now=None) -> FollowUp:
    """Open the follow-up of a low score and tell the incident managers (once per survey)."""
    now = now or timezone.now()
    due_at = now + timedelta(days=survey_settings_get().follow_up_days)
    follow_up, created = FollowUp.objects.get_or_create(
        survey=survey, defaults={"incident_id": survey.incident_id, "due_at": due_at})
    if created:
        events.event_field_changed(incident=survey.incident, by=None, channel=Channel.SYSTEM,
                                   field=HISTORY_FIELD, old="", new=_score_text(survey.score),
                                   internal=True)
        notify.notify_low_score(follow_up=follow_up, survey=survey)
    return follow_up


def follow_up_take(*, follow_up: FollowUp, by) -> FollowUp:
    """An incident manager takes an open follow-up (or takes it over from a colleague)."""
    if not may_follow_up(by):
        raise NotPermitted(_("Only incident managers work on satisfaction follow-ups."))
    with transaction.atomic():
        follow_up = _locked(follow_up)
        if not follow_up.is_open:
            raise Conflict(_("This follow-up is already done."))
        follow_up.assignee = by
        follow_up.status = FollowUpStatus.IN_PROGRESS
        follow_up.save(update_fields=["assignee", "status", "updated_at"])
    return follow_up


def follow_up_done(*, follow_up: FollowUp, by, outcome: str) -> FollowUp:
    """Record what was done for the unhappy requester and close the follow-up."""
    if not may_follow_up(by):
        raise NotPermitted(_("Only incident managers work on satisfaction follow-ups."))
    outcome = (outcome or "").strip()
    if not outcome:
        raise InvalidInput(errors={"outcome": _("Write what was done: whom you spoke to and "
                                                "what was agreed.")})
    if len(outcome) > OUTCOME_MAX:
        raise InvalidInput(errors={"outcome": _("Keep it under %(n)s characters.") % {
            "n": OUTCOME_MAX}})
    with transaction.atomic():
        follow_up = _locked(follow_up)
        if not follow_up.is_open:
            raise Conflict(_("This follow-up is already done."))
        Incident.objects.select_for_update().values_list("pk").get(pk=follow_up.incident_id)
        now = timezone.now()
        follow_up.status, follow_up.outcome = FollowUpStatus.DONE, outcome
        follow_up.done_by, follow_up.done_at = by, now
        follow_up.assignee = follow_up.assignee or by
        follow_up.save()
        events.event_field_changed(incident=follow_up.incident, by=by, channel=Channel.WEB,
                                   field=HISTORY_FIELD,
                                   old=_score_text(follow_up.survey.score),
                                   new=outcome[:1000], internal=True)
    return follow_up


def _locked(follow_up: FollowUp) -> FollowUp:
    return FollowUp.objects.select_for_update().get(pk=follow_up.pk)


def _score_text(score) -> str:
    """The history's values read in any language: the score when it opens ("2/5"), then what
    was done."""
    return f"{score}/5" if score is not None else ""
