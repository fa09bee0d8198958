"""Children follow their master: the reports of one outage end the way the outage ends.

Called by hooks.on_transition inside the master's transition, so the master and every child
change in one transaction (a child that cannot follow rolls the master back too). Each child
changes as the system (`by=None`, channel system) through incident_transition or
incident_update, and its history names the master's number:

- the master is resolved: every open child is resolved with a note (the master's resolution,
  code and workaround flag) and remembered as resolved with it (`ResolvedWithMaster`);
- the master is reopened, or its requester rejects the resolution: the children resolved with
  it are reopened, with the master's reason;
- the master is closed (or confirmed): the children resolved with it are closed with the
  master's closure code; a master closed straight from an open status (never resolved) takes
  its open children with it;
- the master is cancelled (declared by mistake, or not one outage after all): its open
  children are not cancelled, since each is a real report, but unlinked, so that they go back
  to the queues and are worked on their own. A finished child keeps its link, for the record.

Children that moved on by themselves (resolved on their own, confirmed or rejected by their
requester, closed or cancelled by the desk) are left alone: any transition of a child that is
not the master's doing forgets that the master resolved it (`child_moved_on`).
"""

from django.db.models import Q
from django.utils.translation import gettext as _

from opsdesk.incidents.choices import OPEN_STATUSES, Channel, Status
from opsdesk.incidents.models import Incident

from .models import ResolvedWithMaster

CLOSURE_DUPLICATE = "04"  # the lifecycle needs the master's duplicate for this code


def _children(master: Incident, condition: Q) -> list[Incident]:
    return list(Incident.objects.filter(condition, parent=master).order_by("pk"))


def _resolved_with(master: Incident) -> Q:
    return Q(status=Status.RESOLVED,
             pk__in=ResolvedWithMaster.objects.filter(master=master).values("child_id"))


def children_resolve(*, master: Incident) -> int:
    """Resolve every open child as the system, with a resolution naming the master."""
    from opsdesk.incidents.services import incident_transition

    note = _("Resolved with the major incident %(number)s: %(resolution)s") % {
        "number": master.number, "resolution": master.resolution}
    children = _children(master, Q(status__in=OPEN_STATUSES))
    for child in children:
        incident_transition(incident=child, action="resolve", by=None, channel=Channel.SYSTEM,
                            resolution=note, reason=note,
                            resolution_code=master.resolution_code,
                            is_workaround=master.is_workaround)
    ResolvedWithMaster.objects.bulk_create(
        [ResolvedWithMaster(master=master, child=child) for child in children])
    return len(children)


def children_reopen(*, master: Incident, reason: str) -> int:
    """Reopen the children resolved with the master, as the system, giving the master's reason."""
    from opsdesk.incidents.services import incident_transition

    note = _("The major incident %(number)s was reopened: %(reason)s") % {
        "number": master.number, "reason": reason or "—"}
    children = _children(master, _resolved_with(master))
    for child in children:
        incident_transition(incident=child, action="reopen", by=None, channel=Channel.SYSTEM,
                            reason=note)
    return len(children)


def children_close(*, master: Incident, skipped_resolve: bool = False) -> int:
    """Close the children resolved with the master with its closure code (and, when the master
    was closed straight from an open status, the children still open with it)."""
    from opsdesk.incidents.services import incident_transition

    note = _("Closed with the major incident %(number)s.") % {"number": master.number}
    duplicate_of = master.duplicate_of if master.closure_code_id == CLOSURE_DUPLICATE else None
    condition = _resolved_with(master)
    if skipped_resolve:
        condition |= Q(status__in=OPEN_STATUSES)
    children = _children(master, condition)
    for child in children:
        incident_transition(incident=child, action="close", by=None, channel=Channel.SYSTEM,
                            closure_code=master.closure_code, duplicate_of=duplicate_of,
                            reason=note)
    return len(children)


def children_release(*, master: Incident) -> int:
    """Unlink the open children of a cancelled master, so that each is worked on its own."""
    from opsdesk.incidents.services import incident_update

    reason = _("The major incident %(number)s was cancelled: this report is worked on its "
               "own.") % {"number": master.number}
    children = _children(master, Q(status__in=OPEN_STATUSES))
    for child in children:
        incident_update(incident=child, by=None, data={"parent": None}, channel=Channel.SYSTEM,
                        reason=reason)
    return len(children)


def child_moved_on(*, child: Incident) -> None:
    """A child's own transition: whatever the master did to it before no longer holds."""
    ResolvedWithMaster.objects.filter(child=child).delete()
