"""What the major app does when an incident changes (registered in apps.py)."""

from django.utils.translation import gettext as _

from opsdesk.incidents.choices import OPEN_STATUSES, Action, Channel
from opsdesk.incidents.models import Incident

from . import notify
from .affected import affected_users_to_tell
from .criteria import criteria_evaluate
from .models import AffectedPerson, MajorIncident, MajorState

FINISHING = frozenset({Action.RESOLVE, Action.CLOSE, Action.CONFIRM, Action.CANCEL})
REOPENING = frozenset({Action.REOPEN, Action.REJECT})


def on_create(*, incident, by, channel) -> None:
    """A new incident may match a declaration rule."""
    criteria_evaluate(incident=incident)


def on_update(*, incident, by, channel, changed) -> None:
    """A new priority or impact may match a declaration rule."""
    if changed & {"priority", "impact", "urgency", "service"}:
        criteria_evaluate(incident=incident)


def on_transition(*, incident, action, by, channel, from_status, event) -> None:
    """The master's resolution resolves its children; rules look at open incidents again."""
    if action not in FINISHING and action not in REOPENING:
        criteria_evaluate(incident=incident)
        return
    major = MajorIncident.objects.filter(incident=incident).first()
    if action == Action.RESOLVE:
        _resolved(incident=incident, major=major)
    elif major is not None and action in REOPENING and major.state == MajorState.RESOLVED:
        major.state, major.resolved_at = MajorState.DECLARED, None
        major.save(update_fields=["state", "resolved_at", "updated_at"])
    elif major is not None and action in (Action.CLOSE, Action.CONFIRM, Action.CANCEL):
        _finished(major=major, incident=incident)


def _resolved(*, incident, major) -> None:
    if major is not None and major.state == MajorState.DECLARED:
        major.state, major.resolved_at = MajorState.RESOLVED, incident.resolved_at
        major.save(update_fields=["state", "resolved_at", "updated_at"])
        children_resolve(master=incident)
    if major is not None or AffectedPerson.objects.filter(incident=incident).exists():
        notify.notify_resolved(incident=incident, major=major,
                               affected_users=affected_users_to_tell(incident=incident))


def _finished(*, major, incident) -> None:
    if major.state == MajorState.CANDIDATE:
        major.state = MajorState.REJECTED
        major.rejection_reason = _("The incident was finished before a decision.")
    elif major.state in (MajorState.DECLARED, MajorState.RESOLVED):
        major.state = MajorState.CLOSED
        major.closed_at = incident.closed_at or incident.updated_at
    major.save()


def children_resolve(*, master: Incident) -> int:
    """Resolve every open child as the system, with a resolution naming the master."""
    from opsdesk.incidents.services import incident_transition

    note = _("Resolved with the major incident %(number)s: %(resolution)s") % {
        "number": master.number, "resolution": master.resolution}
    children = list(Incident.objects.filter(parent=master, status__in=OPEN_STATUSES)
                    .order_by("pk"))
    for child in children:
        incident_transition(incident=child, action="resolve", by=None, channel=Channel.SYSTEM,
                            resolution=note, resolution_code=master.resolution_code,
                            is_workaround=master.is_workaround)
    return len(children)

