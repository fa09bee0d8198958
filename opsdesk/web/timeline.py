"""One timeline of an incident: history and comments merged, in words a person reads."""

from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import FieldDoesNotExist
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from opsdesk.incidents import selectors
from opsdesk.incidents.choices import Action, EventKind, Status, Visibility
from opsdesk.incidents.models import Incident


@dataclass
class Entry:
    """A line of the timeline."""

    at: datetime
    actor: object
    kind: str
    title: str
    body: str = ""
    internal: bool = False
    channel: str = ""


def timeline_entries(*, user, incident: Incident) -> list[Entry]:
    """Comments in full and every other history event, oldest first, as this person may see them."""
    entries = [_comment_entry(c) for c in selectors.incident_comments(user=user, incident=incident)]
    for event in selectors.incident_history(user=user, incident=incident):
        if event.kind != EventKind.COMMENT:
            entries.append(_event_entry(event))
    return sorted(entries, key=lambda e: e.at)


def _comment_entry(comment) -> Entry:
    internal = comment.visibility == Visibility.INTERNAL
    title = _("Work note") if internal else _("Reply")
    return Entry(at=comment.created_at, actor=comment.author, kind="comment", title=title,
                 body=comment.body, internal=internal, channel=comment.channel)


def _event_entry(event) -> Entry:
    describe = DESCRIBERS.get(event.kind, _describe_other)
    title, body = describe(event)
    return Entry(at=event.at, actor=event.actor, kind=event.kind, title=title, body=body,
                 internal=event.is_internal, channel=event.channel)


def _describe_created(event):
    return _("Logged"), ""


def _describe_transition(event):
    try:
        action = Action(event.action).label
    except ValueError:
        action = event.action
    return _("%(action)s (status: %(from)s → %(to)s)") % {
        "action": action, "from": _status(event.from_status),
        "to": _status(event.to_status)}, event.new_value


def _describe_field(event):
    label = _field_label(event.field)
    return _("%(field)s changed") % {"field": label}, \
        _("from “%(old)s” to “%(new)s”") % {"old": event.old_value or "—",
                                           "new": event.new_value or "—"}


def _describe_assignment(event):
    return _("Assignment changed"), _("from “%(old)s” to “%(new)s”") % {
        "old": event.old_value or "—", "new": event.new_value or _("unassigned")}


def _describe_attachment(event):
    return _("File attached"), event.new_value


def _describe_people(event):
    label = _field_label(event.field)
    parts = []
    if event.new_value:
        parts.append(_("added: %(names)s") % {"names": event.new_value})
    if event.old_value:
        parts.append(_("removed: %(names)s") % {"names": event.old_value})
    return _("%(field)s changed") % {"field": label}, "; ".join(parts)


def _describe_other(event):
    return event.kind, event.new_value


DESCRIBERS = {
    EventKind.CREATED: _describe_created,
    EventKind.TRANSITION: _describe_transition,
    EventKind.FIELD: _describe_field,
    EventKind.ASSIGNMENT: _describe_assignment,
    EventKind.ATTACHMENT: _describe_attachment,
    EventKind.COLLABORATOR: _describe_people,
}


def _status(value) -> str:
    return str(Status(value).label) if value else "—"


def _field_label(name: str) -> str:
    try:
        return capfirst(str(Incident._meta.get_field(name).verbose_name))
    except FieldDoesNotExist:
        return name
