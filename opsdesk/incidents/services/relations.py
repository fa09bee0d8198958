"""How a person relates to an incident; the guards of every action are written in these terms."""

from django.utils.translation import gettext as _

from opsdesk.core.exceptions import InvalidInput

from ..choices import Actor
from ..models import Incident

EDITORS = frozenset({Actor.DESK, Actor.MANAGER, Actor.OWNER, Actor.ASSIGNEE, Actor.GROUP})
NOTE_WRITERS = EDITORS | {Actor.COLLABORATOR}
PRIORITY_OVERRIDERS = frozenset({Actor.DESK, Actor.MANAGER})


def actor_relations(*, user, incident: Incident, collaborators=None) -> frozenset[Actor]:
    """Every relation user has to incident (requester, owner, desk, assignee, group …).

    collaborators: the incident's collaborators when the caller already holds them.
    """
    if user is None or not user.is_authenticated or not user.is_active:
        return frozenset()
    held = set()
    if incident.requester_id == user.pk:
        held.add(Actor.REQUESTER)
    if incident.owner_id == user.pk:
        held.add(Actor.OWNER)
    if user.is_service_desk:
        held.add(Actor.DESK)
    if user.is_incident_manager or user.is_superuser:
        held.add(Actor.MANAGER)
    if incident.assignee_id == user.pk:
        held.add(Actor.ASSIGNEE)
    if incident.assignment_group_id and incident.assignment_group_id in user.support_group_ids:
        held.add(Actor.GROUP)
    # .all() uses the prefetched set when the caller loaded it (detail views do).
    if collaborators is None:
        collaborators = incident.collaborators.all() if incident.pk else ()
    if any(u.pk == user.pk for u in collaborators):
        held.add(Actor.COLLABORATOR)
    return frozenset(held)


def can_edit(*, user, incident: Incident) -> bool:
    """Whether user may change the incident's fields."""
    return bool(actor_relations(user=user, incident=incident) & EDITORS)


def can_write_notes(*, user, incident: Incident) -> bool:
    """Whether user may add internal work notes and see them."""
    return bool(actor_relations(user=user, incident=incident) & NOTE_WRITERS) or user_is_staff(user)


def user_is_staff(user) -> bool:
    """Anyone who works incidents (not only reports them) sees internal notes of visible incidents."""
    return bool(
        user.is_superuser or user.is_service_desk or user.is_engineer or user.is_incident_manager
        or user.is_process_owner
    )


def check_collaborators(users) -> None:
    """Collaborators work on the incident and may write work notes: only support staff qualify."""
    outsiders = [u for u in users if not user_is_staff(u)]
    if outsiders:
        raise InvalidInput(errors={"collaborators": _(
            "Only support staff can collaborate on an incident: %(users)s.") % {
            "users": ", ".join(u.username for u in outsiders)}})
