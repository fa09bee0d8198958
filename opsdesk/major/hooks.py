"""What the major app does when an incident changes (registered in apps.py)."""

from django.utils.translation import gettext as _

from opsdesk.incidents.choices import OPEN_STATUSES, Action

from . import children, notify
from .affected import affected_users_to_tell
from .criteria import criteria_evaluate
from .models import AffectedPerson, MajorIncident, MajorState

FINISHING = frozenset({Action.RESOLVE, Action.CLOSE, Action.CONFIRM, Action.CANCEL})
REOPENING = frozenset({Action.REOPEN, Action.REJECT})


def on_create(*, incident, by, channel) -> None:
    """A new incident may match a declaration rule."""
    criteria_evaluate(incident=incident)


def on_update(*, incident, by, channel, changed) -> None:
    """A new priority or impact may match a declaration rule; a child unlinked is let go."""
    if "parent" in changed:
        children.child_moved_on(child=incident)
    if changed & {"priority", "impact", "urgency", "service"}:
        criteria_evaluate(incident=incident)


def on_transition(*, incident, action, by, channel, from_status, event) -> None:
    """Children follow their master (children.py); rules look at open incidents again."""
    if incident.parent_id is not None:
        children.child_moved_on(child=incident)
    if action not in FINISHING and action not in REOPENING:
        criteria_evaluate(incident=incident)
        return
    major = MajorIncident.objects.filter(incident=incident).first()
    if action == Action.RESOLVE:
        _resolved(incident=incident, major=major)
    elif major is None:
        return
    elif action in REOPENING:
        _reopened(incident=incident, major=major, reason=event.new_value)
    else:  # closed, confirmed or cancelled
        _finished(major=major, incident=incident, action=action, from_status=from_status)


def _resolved(*, incident, major) -> None:
    if major is not None:
        children.children_resolve(master=incident)
    if major is not None and major.state == MajorState.DECLARED:
        major.state, major.resolved_at = MajorState.RESOLVED, incident.resolved_at
        major.save(update_fields=["state", "resolved_at", "updated_at"])
    if major is not None or AffectedPerson.objects.filter(incident=incident).exists():
        notify.notify_resolved(incident=incident, major=major,
                               affected_users=affected_users_to_tell(incident=incident))


def _reopened(*, incident, major, reason: str) -> None:
    children.children_reopen(master=incident, reason=reason)
    if major.state == MajorState.RESOLVED:
        major.state, major.resolved_at = MajorState.DECLARED, None
        major.save(update_fields=["state", "resolved_at", "updated_at"])


def _finished(*, major, incident, action, from_status) -> None:
    if action == Action.CANCEL:
        children.children_release(master=incident)
    else:
        children.children_close(master=incident, skipped_resolve=from_status in OPEN_STATUSES)
    if major.state == MajorState.CANDIDATE:
        major.state = MajorState.REJECTED
        major.rejection_reason = _("The incident was finished before a decision.")
    elif major.state in (MajorState.DECLARED, MajorState.RESOLVED):
        major.state = MajorState.CLOSED
        major.closed_at = incident.closed_at or incident.updated_at
    major.save()

