"""Confirm or reject a resolution from the email: signed, expiring links for the requester.

The token names the incident, its requester and the moment it was resolved, signed with
TimestampSigner (salt below) and valid for RESPOND_MAX_AGE. It is spent when the incident
leaves that resolution (confirmed, rejected, closed, reopened): the resolved time no longer
matches, so an old link never acts on a later resolution.
"""

from datetime import timedelta

from django.core import signing
from django.utils.translation import gettext as _

from opsdesk.core.exceptions import Conflict, InvalidInput

from .choices import Action, Channel, Status
from .models import Incident

RESPOND_SALT = "opsdesk.incidents.respond"
RESPOND_MAX_AGE = timedelta(days=14)


class TokenRefused(Exception):
    """A respond link that is invalid (400), expired (410) or already used (409)."""

    def __init__(self, message: str, *, status: int):
        super().__init__(message)
        self.status = status


def respond_token(*, incident: Incident) -> str:
    """The signed token for the requester's answer to the incident's current resolution."""
    value = [incident.pk, incident.requester_id, _stamp(incident)]
    return signing.TimestampSigner(salt=RESPOND_SALT).sign_object(value)


def respond_incident(*, token: str) -> Incident:
    """The incident a token may still answer; raises TokenRefused otherwise."""
    try:
        pk, requester_id, stamp = signing.TimestampSigner(salt=RESPOND_SALT).unsign_object(
            token, max_age=RESPOND_MAX_AGE)
    except signing.SignatureExpired:
        raise TokenRefused(_("This link has expired."), status=410) from None
    except (signing.BadSignature, ValueError, TypeError):
        raise TokenRefused(_("This link is not valid."), status=400) from None
    incident = Incident.objects.select_related("requester").filter(pk=pk).first()
    if (incident is None or incident.requester_id != requester_id
            or incident.status != Status.RESOLVED or _stamp(incident) != stamp):
        raise TokenRefused(_("This link was already used, or the incident has changed since."),
                           status=409)
    return incident


def respond_answer(*, token: str, confirm: bool, reason: str = "") -> Incident:
    """Confirm or reject the resolution as the requester, through the email channel."""
    from .services import incident_transition

    incident = respond_incident(token=token)
    if not confirm and not reason.strip():
        raise InvalidInput(errors={"reason": _("Tell us why the problem is not solved.")})
    action = Action.CONFIRM if confirm else Action.REJECT
    try:
        return incident_transition(incident=incident, action=action, by=incident.requester,
                                   channel=Channel.EMAIL, reason=reason)
    except Conflict:  # answered meanwhile in another tab or by the desk
        raise TokenRefused(_("This link was already used, or the incident has changed since."),
                           status=409) from None


def _stamp(incident: Incident) -> int:
    return int(incident.resolved_at.timestamp() * 1000) if incident.resolved_at else 0
