"""Writers of the append-only history, one small helper per kind of event."""

from django.utils import timezone

from .choices import Channel, EventKind, Status
from .models import Incident, IncidentEvent


def _event(*, incident: Incident, kind: str, by, channel: str, **fields) -> IncidentEvent:
    return IncidentEvent.objects.create(
        incident=incident, kind=kind, actor=by, channel=channel, at=timezone.now(), **fields
    )


def event_created(*, incident: Incident, by, channel: str) -> IncidentEvent:
    """The incident was logged."""
    return _event(incident=incident, kind=EventKind.CREATED, by=by, channel=channel,
                  to_status=incident.status)


def event_field_changed(*, incident, by, channel, field: str, old, new,
                        internal: bool = False, reason: str = "") -> IncidentEvent:
    """A field went from old to new (values are stored as their display text); `reason` says
    why, when the system changed it (data["reason"])."""
    return _event(incident=incident, kind=EventKind.FIELD, by=by, channel=channel, field=field,
                  old_value=_text(old), new_value=_text(new), is_internal=internal,
                  data={"reason": reason} if reason else {})


def event_transition(*, incident, by, channel, action: str, from_status: int,
                     reason: str = "", data: dict | None = None) -> IncidentEvent:
    """An action of the transition table was taken."""
    return _event(incident=incident, kind=EventKind.TRANSITION, by=by, channel=channel,
                  action=action, from_status=from_status, to_status=incident.status,
                  new_value=reason, data=data or {})


def event_assignment(*, incident, by, channel, old_group, old_assignee,
                     escalation: bool) -> IncidentEvent:
    """The assignment group or assignee changed."""
    return _event(
        incident=incident, kind=EventKind.ASSIGNMENT, by=by, channel=channel, field="assignment",
        old_value=_assignment_text(old_group, old_assignee),
        new_value=_assignment_text(incident.assignment_group, incident.assignee),
        data={"from_group": getattr(old_group, "code", None),
              "to_group": getattr(incident.assignment_group, "code", None),
              "from_assignee": getattr(old_assignee, "username", None),
              "to_assignee": getattr(incident.assignee, "username", None),
              "escalation": escalation},
    )


def event_comment(*, incident, by, channel, comment) -> IncidentEvent:
    """A reply or a work note was added."""
    return _event(incident=incident, kind=EventKind.COMMENT, by=by, channel=channel,
                  new_value=comment.body[:500], is_internal=comment.visibility == "internal",
                  data={"comment_id": comment.pk, "visibility": comment.visibility})


def event_attachment(*, incident, by, channel, attachment) -> IncidentEvent:
    """A file was attached."""
    return _event(incident=incident, kind=EventKind.ATTACHMENT, by=by, channel=channel,
                  new_value=attachment.filename, is_internal=attachment.visibility == "internal",
                  data={"attachment_id": attachment.pk, "size": attachment.size,
                        "content_type": attachment.content_type})


def event_people_changed(*, incident, by, channel, field: str, added=(), removed=()):
    """Collaborators, watchers or configuration items were added or removed."""
    return _event(incident=incident, kind=EventKind.COLLABORATOR, by=by, channel=channel,
                  field=field, old_value=", ".join(natural_key(o) for o in removed),
                  new_value=", ".join(natural_key(o) for o in added),
                  data={"added": [natural_key(o) for o in added],
                        "removed": [natural_key(o) for o in removed]})


def event_sla(*, incident, data: dict, text: str = "", by=None,
              channel: str = Channel.SYSTEM, internal: bool = True) -> IncidentEvent:
    """An SLA fact: a warning, a breach, an escalation, a recomputation, an auto-close step.

    Internal (staff only) unless the requester is concerned: the auto-close steps."""
    return _event(incident=incident, kind=EventKind.SLA, by=by, channel=channel,
                  action=str(data.get("crossing", ""))[:16], new_value=text,
                  is_internal=internal, data=data)


def _assignment_text(group, assignee) -> str:
    parts = [getattr(group, "code", ""), getattr(assignee, "username", "")]
    return " / ".join(p for p in parts if p)


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Status):
        return value.key
    if hasattr(value, "pk") and hasattr(value, "_meta"):
        return natural_key(value)
    return str(value)


def natural_key(obj) -> str:
    """The stable text the API uses for a referenced record (code, username, number or name)."""
    for attr in ("number", "path", "code", "username", "level", "name"):
        if hasattr(obj, attr):
            return str(getattr(obj, attr))
    return str(obj.pk)


__all__ = [name for name in dir() if name.startswith("event_")] + ["Channel", "natural_key"]
