"""Hierarchical escalation: to the incident managers after N reassignments and by hand, then
to the head of the requester's department.

Threshold escalations (warnings, breaches) live in tick.py; functional escalation by hand is
an assignment to the next line (incident_transition "assign"). Every escalation here writes
one SLA history entry, counts in hierarchical_escalation_count and is mailed at once
(incidents/notify.py, keyed by the entry, so a retry sends nothing twice). The head of the
department (the nearest organisation up from the requester's department that has an active
head) hears once per incident: at the first resolution breach or the second escalation by
hand, whichever comes first (escalation_to_head).

Functional escalation to the vendor (escalation_to_vendor): when the resolution clock breaches
on an incident with an active vendor and the policy says so, one SLA history entry
(`escalation: "functional"`, crossing "escalated_vendor"), counted in escalation_count, and a
mail in the site's language to the vendor's escalation contacts (level 1 first), else to its
contact address; once per incident and vendor.
"""

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from opsdesk.accounts.models import Organisation, User
from opsdesk.core.exceptions import Conflict, InvalidInput, NotPermitted
from opsdesk.core.services import text_clean
from opsdesk.incidents import events
from opsdesk.incidents.choices import OPEN_STATUSES, Actor, Channel, EventKind
from opsdesk.incidents.models import Incident
from opsdesk.incidents.notify import notify_escalated, notify_vendor_escalated
from opsdesk.incidents.services.relations import actor_relations

from .policies import policy_get

DEFAULT_AFTER_REASSIGNMENTS = 3  # incidents without a policy escalate after as many
# Who may escalate by hand: the service desk, engineers of the group, the incident managers.
MANUAL_ESCALATORS = frozenset({Actor.DESK, Actor.OWNER, Actor.GROUP, Actor.ASSIGNEE,
                               Actor.MANAGER})
MANUAL_CROSSING, HEAD_CROSSING = "escalated", "escalated_head"
VENDOR_CROSSING = "escalated_vendor"
MAX_DEPTH = 20  # organisation levels walked up to find a head (a guard against loops)


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
    event = events.event_sla(incident=incident, data={
        "clock": "reassignments", "crossing": "reassigned", "reassignments": limit,
        "escalation": "hierarchical", "notify": "incident_managers"})
    notify_escalated(incident=incident, event=event)
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
        again = _sla_events(incident, crossing=MANUAL_CROSSING).exists()
        _count(incident)
        event = events.event_sla(incident=incident, by=by, channel=channel, text=reason[:2000],
                                 data={"clock": "manual", "crossing": MANUAL_CROSSING,
                                       "escalation": "hierarchical",
                                       "notify": "incident_managers"})
        notify_escalated(incident=incident, event=event)
        if again:
            escalation_to_head(incident=incident, trigger="manual", by=by, channel=channel,
                               reason=reason)
    return incident


def escalation_to_head(*, incident: Incident, trigger: str, by=None,
                       channel: str = Channel.SYSTEM, reason: str = "") -> bool:
    """The step after the managers: the department's head, once per incident (row locked)."""
    if _sla_events(incident, crossing=HEAD_CROSSING).exists():
        return False
    department, head = department_head(department_id=incident.requester_department_id)
    if head is None:
        return False
    _count(incident)
    event = events.event_sla(incident=incident, by=by, channel=channel, text=reason[:2000], data={
        "clock": trigger, "crossing": HEAD_CROSSING, "escalation": "hierarchical",
        "notify": "department_head", "department": department.code, "head": head.username})
    notify_escalated(incident=incident, event=event, head=head)
    return True


def escalation_to_vendor(*, incident: Incident, trigger: str = "breach") -> bool:
    """Escalate to the incident's vendor: history entry, count and mail; once per vendor.

    Called by the tick with the row locked, after it won the resolution breach. The mail goes
    to the vendor's escalation contacts, level 1 first (`vendors.selectors.
    escalation_addresses`), else to the vendor's contact address. Without an active vendor
    nothing happens; without any address the entry is written and counted but nobody is mailed
    (the desk phones the vendor)."""
    from opsdesk.vendors.models import Vendor
    from opsdesk.vendors.selectors import escalation_addresses

    vendor = Vendor.objects.filter(pk=incident.vendor_id, is_active=True).first() \
        if incident.vendor_id else None
    if vendor is None or _sla_events(incident, crossing=VENDOR_CROSSING).filter(
            data__vendor=vendor.name).exists():
        return False
    Incident.objects.filter(pk=incident.pk).update(escalation_count=F("escalation_count") + 1)
    incident.escalation_count += 1
    addressees = escalation_addresses(vendor=vendor)
    event = events.event_sla(incident=incident, data={
        "clock": trigger, "crossing": VENDOR_CROSSING, "escalation": "functional",
        "vendor": vendor.name, "vendor_reference": incident.vendor_reference,
        "email": ", ".join(address for _name, address in addressees)})
    notify_vendor_escalated(incident=incident, event=event, vendor=vendor, addressees=addressees)
    return True


def department_head(*, department_id: int | None) -> tuple[Organisation | None, User | None]:
    """The nearest organisation, from this department up, with an active head; and the head."""
    seen: set[int] = set()
    while department_id is not None and department_id not in seen and len(seen) < MAX_DEPTH:
        seen.add(department_id)
        department = Organisation.objects.select_related("head").filter(
            pk=department_id).first()
        if department is None:
            break
        if department.head is not None and department.head.is_active:
            return department, department.head
        department_id = department.parent_id
    return None, None


def _sla_events(incident: Incident, *, crossing: str):
    return incident.events.filter(kind=EventKind.SLA, action=crossing)


def _count(incident: Incident) -> None:
    """One more hierarchical escalation, in the row and in memory."""
    Incident.objects.filter(pk=incident.pk).update(
        hierarchical_escalation_count=F("hierarchical_escalation_count") + 1)
    incident.hierarchical_escalation_count += 1
