"""Hierarchical escalation to the incident managers: after N reassignments, and by hand.

Threshold escalations (warnings, breaches) live in tick.py; functional escalation by hand is
an assignment to the next line (incident_transition "assign"). Every escalation here writes
one SLA history entry and counts in hierarchical_escalation_count. Notifying the managers is
the notifications app's business: it reads these entries (data["notify"]).
"""

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from opsdesk.core.exceptions import Conflict, InvalidInput, NotPermitted
from opsdesk.core.services import text_clean
from opsdesk.incidents import events
from opsdesk.incidents.choices import OPEN_STATUSES, Actor, Channel
from opsdesk.incidents.models import Incident
from opsdesk.incidents.services.relations import actor_relations

from .policies import policy_get

DEFAULT_AFTER_REASSIGNMENTS = 3  # incidents without a policy escalate after as many
# Who may escalate by hand: the service desk, engineers of the group, the incident managers.
MANUAL_ESCALATORS = frozenset({Actor.DESK, Actor.OWNER, Actor.GROUP, Actor.ASSIGNEE,
                               Actor.MANAGER})


def escalation_after_reassignment(*, incident: Incident) -> bool:
    """Notify the incident managers once, when reassignments reach the policy's number.

    Called by the assign action with the row locked, after it counted the reassignment; the
    caller saves the incident. Reaching the number happens once: the count only grows.
    """
    policy = policy_get(code=incident.sla_policy_id)
    limit = policy.escalate_after_reassignments if policy is not None \
        else DEFAULT_AFTER_REASSIGNMENTS
    if not limit or incident.reassignment_count != limit:
        return False
    incident.hierarchical_escalation_count += 1
    events.event_sla(incident=incident, data={
        "clock": "reassignments", "crossing": "reassigned", "reassignments": limit,
        "escalation": "hierarchical", "notify": "incident_managers"})
    return True


def may_escalate_by_hand(*, user, incident: Incident) -> bool:
    """Whether this person may escalate the open incident to the incident managers."""
    return incident.status in OPEN_STATUSES and bool(
        actor_relations(user=user, incident=incident) & MANUAL_ESCALATORS)


def incident_escalate_to_managers(*, incident: Incident, by, reason: str,
                                  channel: str = Channel.WEB) -> Incident:
    """Escalate by hand to the incident managers, with a reason; history entry and count."""
    reason = text_clean(reason)
    if not reason:
        raise InvalidInput(errors={"reason": _("Say why the incident managers are needed.")})
    with transaction.atomic():
        incident = Incident.objects.select_for_update().get(pk=incident.pk)
        if incident.status not in OPEN_STATUSES:
            raise Conflict(_("Only an open incident can be escalated."))
        if not actor_relations(user=by, incident=incident) & MANUAL_ESCALATORS:
            raise NotPermitted(_("You may not escalate this incident."))
        Incident.objects.filter(pk=incident.pk).update(
            hierarchical_escalation_count=F("hierarchical_escalation_count") + 1)
        incident.hierarchical_escalation_count += 1
        events.event_sla(incident=incident, by=by, channel=channel, text=reason[:2000], data={
            "clock": "manual", "crossing": "escalated", "escalation": "hierarchical",
            "notify": "incident_managers"})
    return incident
