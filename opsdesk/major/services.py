"""Running a major incident: propose, promote or reject, declare, post updates, link children.

Every service runs in one transaction and locks the major's row (or the master incident's,
when the record does not exist yet), so two people deciding at once never both win.
Permission rules: permissions.py. History: one field entry (`major_incident`) on the master.
"""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from opsdesk.core.exceptions import Conflict, InvalidInput, NotPermitted
from opsdesk.core.services import text_clean
from opsdesk.incidents import events
from opsdesk.incidents.choices import ACTIVE_STATUSES, OPEN_STATUSES, Channel, Visibility
from opsdesk.incidents.models import Incident
from opsdesk.incidents.services import comment_create

from . import notify
from .criteria import cadence_for
from .models import MajorIncident, MajorState, MajorUpdate
from .permissions import may_decide, may_propose, may_run

HISTORY_FIELD = "major_incident"


def _record(*, incident, by, channel, old: str, new: str) -> None:
    events.event_field_changed(incident=incident, by=by, channel=channel, field=HISTORY_FIELD,
                               old=old, new=new)


def _locked_for(incident: Incident) -> tuple[Incident, MajorIncident | None]:
    """Lock the master incident's row, then read its major record (the lock serialises)."""
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    return incident, MajorIncident.objects.filter(incident=incident).first()


def _check_master(incident: Incident) -> None:
    if incident.status not in OPEN_STATUSES:
        raise Conflict(_("Only an open incident can become a major incident."))
    if incident.parent_id is not None:
        raise Conflict(_("This incident is linked to the master %(number)s: run the major "
                         "incident there.") % {"number": incident.parent.number})


def major_propose(*, incident: Incident, by, reason: str, channel: str = Channel.WEB,
                  rule=None) -> MajorIncident:
    """Propose the incident as a major incident (a candidate for the incident managers).

    `by=None` is the system (a rule). A rejected proposal may be proposed again.
    """
    reason = " ".join((reason or "").split())
    if by is not None and not may_propose(by):
        raise NotPermitted(_("Only support staff may propose a major incident."))
    if not reason:
        raise InvalidInput(errors={"reason": _("Say why this is a major incident.")})
    with transaction.atomic():
        incident, major = _locked_for(incident)
        _check_master(incident)
        if major is not None and major.state != MajorState.REJECTED:
            raise Conflict(_("This incident is already a major incident (%(state)s).") % {
                "state": major.get_state_display().lower()})
        old = major.state if major else ""
        major = major or MajorIncident(incident=incident)
        major.state, major.proposed_by, major.proposed_at = MajorState.CANDIDATE, by, timezone.now()
        major.proposal_reason, major.rule = reason[:500], rule
        major.rejection_reason, major.decided_by, major.decided_at = "", None, None
        major.save()
        _record(incident=incident, by=by, channel=channel, old=old, new=MajorState.CANDIDATE)
        notify.notify_proposed(major=major, by=by)
    return major


def major_reject(*, major: MajorIncident, by, reason: str,
                 channel: str = Channel.WEB) -> MajorIncident:
    """An incident manager turns a candidate down, with a reason."""
    if not may_decide(by):
        raise NotPermitted(_("Only an incident manager may reject a candidate."))
    reason = " ".join((reason or "").split())
    if not reason:
        raise InvalidInput(errors={"reason": _("Say why it is not a major incident.")})
    with transaction.atomic():
        incident, major = _locked_for(major.incident)
        if major is None or major.state != MajorState.CANDIDATE:
            raise Conflict(_("Only a candidate can be rejected."))
        major.state, major.rejection_reason = MajorState.REJECTED, reason[:500]
        major.decided_by, major.decided_at = by, timezone.now()
        major.save()
        _record(incident=incident, by=by, channel=channel, old=MajorState.CANDIDATE,
                new=MajorState.REJECTED)
    return major


def major_declare(*, incident: Incident, by, manager=None, reason: str = "",
                  cadence_minutes: int | None = None, stakeholders=None, endpoints=None,
                  services=None, channel: str = Channel.WEB, rule=None) -> MajorIncident:
    """Declare the incident a major incident: by hand (an incident manager), or a rule (None).

    Promotes a candidate or a rejected proposal, or starts one. Sets the manager (by default
    the declaring incident manager), the cadence (by default the rules' for its priority) and
    the first update's due time; notifies management, the stakeholders and the robots.
    """
    if by is not None and not may_decide(by):
        raise NotPermitted(_("Only an incident manager may declare a major incident."))
    _check_manager(manager)
    _check_cadence(cadence_minutes)
    with transaction.atomic():
        incident, major = _locked_for(incident)
        _check_master(incident)
        if major is not None and major.state not in (MajorState.CANDIDATE, MajorState.REJECTED):
            raise Conflict(_("This incident is already a major incident (%(state)s).") % {
                "state": major.get_state_display().lower()})
        old = major.state if major else ""
        now = timezone.now()
        major = major or MajorIncident(incident=incident, proposed_by=by, proposed_at=now,
                                       proposal_reason=" ".join(reason.split())[:500])
        if manager is None and by is not None:
            manager = by
        major.state, major.decided_by, major.decided_at, major.declared_at = (
            MajorState.DECLARED, by, now, now)
        major.manager, major.rule = manager, rule or major.rule
        major.cadence_minutes = cadence_minutes or cadence_for(incident)
        major.next_update_due_at = now + timedelta(minutes=major.cadence_minutes)
        major.reminded_due_at, major.missed_count = None, 0
        major.save()
        _people_set(major=major, stakeholders=stakeholders, endpoints=endpoints,
                    services=services)
        _record(incident=incident, by=by, channel=channel, old=old, new=MajorState.DECLARED)
        notify.notify_declared(major=major, by=by)
    return major


def major_promote(*, major: MajorIncident, by, **options) -> MajorIncident:
    """An incident manager promotes a candidate: it is declared (options as major_declare)."""
    if major.state != MajorState.CANDIDATE:
        raise Conflict(_("Only a candidate can be promoted."))
    return major_declare(incident=major.incident, by=by, **options)


def _check_manager(manager) -> None:
    if manager is not None and not (manager.is_active and (manager.is_incident_manager
                                                           or manager.is_superuser)):
        raise InvalidInput(errors={"manager": _(
            "The major-incident manager must be an active incident manager.")})


def _check_cadence(minutes) -> None:
    if minutes is not None and not 5 <= minutes <= 24 * 60:
        raise InvalidInput(errors={"cadence_minutes": _(
            "Give a cadence between 5 minutes and 24 hours.")})


def _people_set(*, major, stakeholders, endpoints, services) -> None:
    if stakeholders is not None:
        major.stakeholders.set(stakeholders)
    if endpoints is not None:
        major.stakeholder_endpoints.set(endpoints)
    if services is not None:
        major.services.set(services)
    elif major.incident.service_id and not major.services.exists():
        major.services.add(major.incident.service_id)


def major_people_update(*, major: MajorIncident, by, manager=None, cadence_minutes=None,
                        stakeholders=None, endpoints=None, services=None) -> MajorIncident:
    """Change the manager, the cadence, the stakeholders or the affected services."""
    if not may_run(by, major):
        raise NotPermitted(_("You may not run this major incident."))
    _check_manager(manager)
    _check_cadence(cadence_minutes)
    with transaction.atomic():
        _incident, major = _locked_for(major.incident)
        if manager is not None:
            major.manager = manager
        if cadence_minutes and major.state == MajorState.DECLARED:
            major.cadence_minutes = cadence_minutes
            base = major.last_update_at or major.declared_at
            major.next_update_due_at = base + timedelta(minutes=cadence_minutes)
        major.save()
        _people_set(major=major, stakeholders=stakeholders, endpoints=endpoints,
                    services=services)
    return major


def major_update_post(*, major: MajorIncident, by, text: str, is_public: bool = True,
                      channel: str = Channel.WEB) -> MajorUpdate:
    """Post a status update; the next one falls due a cadence later.

    A public update is also a public reply on the master and on every open child, so their
    requesters read it on their own incident (and are mailed as for any reply).
    """
    if not may_run(by, major):
        raise NotPermitted(_("Only the major-incident manager, an incident manager or the "
                             "service desk may post updates."))
    text = text_clean(text or "")
    if not text:
        raise InvalidInput(errors={"text": _("Write the update.")})
    with transaction.atomic():
        _incident, major = _locked_for(major.incident)
        if major.state != MajorState.DECLARED:
            raise Conflict(_("Updates are posted while the major incident is declared."))
        update = MajorUpdate.objects.create(major=major, text=text, is_public=is_public,
                                            author=by)
        now = timezone.now()
        major.last_update_at = now
        major.next_update_due_at = now + timedelta(minutes=major.cadence_minutes)
        major.save(update_fields=["last_update_at", "next_update_due_at", "updated_at"])
        if is_public:
            for target in [major.incident, *_open_children(major.incident)]:
                comment_create(incident=target, by=by, body=text,
                               visibility=Visibility.PUBLIC, channel=channel)
        notify.notify_update(major=major, update=update)
    return update


def _open_children(master: Incident) -> list[Incident]:
    return list(Incident.objects.filter(parent=master, status__in=ACTIVE_STATUSES)
                .order_by("pk"))


def major_children_link(*, major: MajorIncident, by, children: list[Incident],
                        channel: str = Channel.WEB) -> list[Incident]:
    """Link incidents (the same outage reported by many) as children of the master.

    Each is set through incident_update (its history records the parent). A child may not be
    the master itself, finished, another major's master, or another master's child.
    """
    from opsdesk.incidents.services import incident_update

    if not may_run(by, major):
        raise NotPermitted(_("You may not link incidents to this major incident."))
    with transaction.atomic():
        master, major = _locked_for(major.incident)
        if major.state not in (MajorState.CANDIDATE, MajorState.DECLARED):
            raise Conflict(_("Link children while the major incident is open."))
        linked = []
        for child in children:
            _check_child(master=master, child=child)
            if child.parent_id != master.pk:
                child = incident_update(incident=child, by=by, data={"parent": master},
                                        channel=channel)
            linked.append(child)
    return linked


def _check_child(*, master: Incident, child: Incident) -> None:
    number = child.number
    if child.pk == master.pk:
        raise InvalidInput(errors={"children": _("The master cannot be its own child.")})
    if child.status not in ACTIVE_STATUSES:
        raise InvalidInput(errors={"children": _("%(number)s is finished.") % {
            "number": number}})
    if child.parent_id not in (None, master.pk):
        raise Conflict(_("%(number)s is already linked to another master.") % {
            "number": number})
    if MajorIncident.objects.filter(incident=child, state=MajorState.DECLARED).exists():
        raise Conflict(_("%(number)s is itself a declared major incident.") % {
            "number": number})


def major_child_unlink(*, major: MajorIncident, by, child: Incident,
                       channel: str = Channel.WEB) -> Incident:
    """Unlink a child from the master (it was not the same outage after all)."""
    from opsdesk.incidents.services import incident_update

    if not may_run(by, major):
        raise NotPermitted(_("You may not unlink incidents from this major incident."))
    if child.parent_id != major.incident_id:
        raise InvalidInput(errors={"child": _("%(number)s is not a child of this major "
                                              "incident.") % {"number": child.number}})
    return incident_update(incident=child, by=by, data={"parent": None}, channel=channel)
