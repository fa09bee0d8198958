"""Turns incidents and their parts into the dicts the API returns."""

from django.db.models import prefetch_related_objects
from django.urls import reverse

from opsdesk.incidents import selectors, services
from opsdesk.incidents.choices import Status

from .schemas import ref

SCALARS = (
    "number", "short_description", "description", "contact_name", "contact_phone",
    "contact_email", "channel", "registered_at", "updated_at", "occurred_at",
    "priority_overridden", "priority_override_reason", "first_response_at", "assigned_at",
    "resolved_at", "closed_at", "response_due_at", "resolution_due_at", "response_breached",
    "resolution_breached", "first_contact_resolution", "reassignment_count", "hand_back_count",
    "reopen_count", "escalation_count", "resolution", "is_workaround", "vendor_reference",
    "alert_ids", "related_problem", "related_change", "satisfaction_score",
    "satisfaction_comment",
)
REFS = ("requester", "requester_department", "owner", "created_by", "location", "source",
        "nature", "category", "service", "assignment_group", "assignee", "pending_reason",
        "resolution_code", "closure_code", "vendor")
LEVELS = ("impact", "urgency", "priority")
M2M = ("configuration_items", "collaborators", "watchers")


def incident_dict(incident) -> dict:
    """The list representation: every field, without the many-to-many sets."""
    data = {name: getattr(incident, name) for name in SCALARS}
    data.update({name: ref(getattr(incident, name)) for name in REFS})
    data.update({name: {"level": getattr(incident, name).level,
                        "name": getattr(incident, name).name} for name in LEVELS})
    status = Status(incident.status)
    data.update(status=status.key, status_label=str(status.label),
                duplicate_of=incident.duplicate_of.number if incident.duplicate_of_id else None,
                parent=incident.parent.number if incident.parent_id else None)
    return data


def incident_detail(*, incident_number: str, user, after_action: bool = False) -> dict:
    """The full representation, with people, CIs and the actions the caller may take now.

    after_action: the caller just changed the incident, so they see its new state even if the
    change took it out of their view (a hand-back leaves the engineer's group).
    """
    if after_action:
        incident = selectors.incident_get_unrestricted(number=incident_number)
    else:
        incident = selectors.incident_get(user=user, number=incident_number)
    prefetch_related_objects([incident], *M2M)
    return incident_full_dict(incident=incident, user=user,
                              sets={name: getattr(incident, name).all() for name in M2M})


def incident_created_dict(*, incident, user, data: dict) -> dict:
    """The full representation of an incident this request just created, without reading it
    back: its sets are the ones the request gave (nobody else can have changed them yet)."""
    selectors.incidents_attach_related([incident])
    return incident_full_dict(incident=incident, user=user,
                              sets={name: data.get(name) or [] for name in M2M})


def incident_full_dict(*, incident, user, sets: dict) -> dict:
    data = incident_dict(incident)
    data.update({name: [ref(item) for item in sets[name]] for name in M2M})
    allowed = services.allowed_actions(user=user, incident=incident,
                                       collaborators=sets["collaborators"])
    data["allowed_actions"] = [a.value for a in allowed]
    return data


def comment_dict(comment) -> dict:
    return {"id": comment.pk, "author": ref(comment.author), "visibility": comment.visibility,
            "body": comment.body, "channel": comment.channel, "created_at": comment.created_at}


def attachment_dict(attachment, number: str) -> dict:
    url = reverse("api-v1:download_attachment",
                  kwargs={"number": number, "attachment_id": attachment.pk})
    return {"id": attachment.pk, "filename": attachment.filename,
            "content_type": attachment.content_type, "size": attachment.size,
            "sha256": attachment.sha256, "visibility": attachment.visibility,
            "uploaded_by": ref(attachment.uploaded_by), "created_at": attachment.created_at,
            "download_url": url}


def event_dict(event) -> dict:
    return {"id": event.pk, "kind": event.kind, "actor": ref(event.actor),
            "channel": event.channel, "at": event.at, "field": event.field,
            "old_value": event.old_value, "new_value": event.new_value, "action": event.action,
            "from_status": Status(event.from_status).key if event.from_status else None,
            "to_status": Status(event.to_status).key if event.to_status else None,
            "data": event.data}
