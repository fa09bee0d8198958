"""A survey is scheduled when an incident closes, and the tick mails, closes and expires them.

`survey_after_transition` is the incidents' after_transition hook: it runs inside the closing
transaction, so a closure that rolls back schedules nothing. The tick (`surveys_tick`, every
30 s from core/periodic.py) is idempotent with several workers: each step claims its rows with
a conditional UPDATE on the state, so only one worker mails an invitation or records a final
answer.
"""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from opsdesk.incidents.choices import Status

from .. import notify
from ..models import Survey, SurveyState
from ..sampling import is_sampled, token_digest, token_new
from .answers import SCORED_FORM_MINUTES, survey_finalize
from .settings import survey_settings_get

TICK_BATCH = 200


def survey_after_transition(*, incident, action, by, channel, from_status, event) -> None:
    """Schedule the survey of an incident that just closed (the incidents' hook)."""
    if incident.status == Status.CLOSED:
        survey_schedule(incident=incident)


def survey_schedule(*, incident) -> Survey | None:
    """Create the incident's survey if the settings and the sample say so; None otherwise.

    Not surveyed: surveys switched off, an incident outside the sample, a closure code or
    channel the process owner left out, a requester nobody can reach (inactive, or without
    address and sign-in, such as the monitoring account), an incident already surveyed.
    """
    config = survey_settings_get()
    if not (config.is_enabled and is_sampled(incident_id=incident.pk,
                                              percent=config.sample_percent)):
        return None
    if not _surveyed_codes(config, incident) or not _reachable(incident):
        return None
    closed_at = incident.closed_at or timezone.now()
    send_after = closed_at + timedelta(minutes=config.delay_minutes)
    survey, created = Survey.objects.get_or_create(incident=incident, defaults={
        "requester_id": incident.requester_id, "closed_at": closed_at, "send_after": send_after,
        "expires_at": send_after + timedelta(days=config.expiry_days),
        "language": incident.requester.language or ""})
    return survey if created else None


def _surveyed_codes(config, incident) -> bool:
    codes = set(config.closure_codes.values_list("code", flat=True))
    sources = set(config.sources.values_list("code", flat=True))
    return ((not codes or incident.closure_code_id in codes)
            and (not sources or incident.source_id in sources))


def _reachable(incident) -> bool:
    requester = incident.requester
    if not requester.is_active:
        return False
    return bool(requester.email or incident.contact_email or requester.has_usable_password())


def surveys_tick(*, now=None) -> dict:
    """Mail the invitations that fell due, close the forms left open, expire the unanswered."""
    now = now or timezone.now()
    return {"invited": _invite_due(now), "answered": _close_scored(now),
            "expired": _expire(now)}


def _invite_due(now) -> int:
    """Invite the scheduled surveys whose time has come (those already past their expiry are
    left to expire: a tick that was down for weeks does not mail stale surveys)."""
    due = list(Survey.objects.filter(state=SurveyState.SCHEDULED, send_after__lte=now,
                                     expires_at__gt=now)
               .order_by("send_after").values_list("pk", flat=True)[:TICK_BATCH])
    if not due:
        return 0
    enabled = survey_settings_get().is_enabled
    invited = 0
    for pk in due:
        with transaction.atomic():
            if not enabled:  # switched off since the closure: drop it
                Survey.objects.filter(pk=pk, state=SurveyState.SCHEDULED).update(
                    state=SurveyState.CANCELLED, updated_at=now)
            elif survey_invite(survey_id=pk, now=now) is not None:
                invited += 1
    return invited


def survey_invite(*, survey_id: int, now=None) -> str | None:
    """Claim one scheduled survey, give it a token and mail the requester; returns the token
    (None: another worker claimed it, or it was answered in the portal meanwhile)."""
    now = now or timezone.now()
    token = token_new()
    claimed = Survey.objects.filter(pk=survey_id, state=SurveyState.SCHEDULED).update(
        state=SurveyState.INVITED, invited_at=now, token_digest=token_digest(token),
        updated_at=now)
    if not claimed:
        return None
    survey = Survey.objects.select_related("incident", "requester").get(pk=survey_id)
    notify.notify_invitation(survey=survey, token=token)
    return token


def _close_scored(now) -> int:
    """Forms opened by a click and not sent within the window: the clicked score is the answer."""
    cutoff = now - timedelta(minutes=SCORED_FORM_MINUTES)
    due = list(Survey.objects.filter(state=SurveyState.SCORED, scored_at__lte=cutoff)
               .values_list("pk", flat=True)[:TICK_BATCH])
    closed = 0
    for pk in due:
        with transaction.atomic():
            survey = (Survey.objects.select_for_update().filter(pk=pk, state=SurveyState.SCORED)
                      .first())
            if survey is not None:
                survey_finalize(survey=survey, now=now)
                closed += 1
    return closed


def _expire(now) -> int:
    return Survey.objects.filter(state__in=(SurveyState.SCHEDULED, SurveyState.INVITED),
                                 expires_at__lte=now).update(state=SurveyState.EXPIRED,
                                                             updated_at=now)
