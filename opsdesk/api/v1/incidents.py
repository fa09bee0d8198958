"""Incident endpoints: create, read, list, update, lifecycle actions, comments, files, history."""

from datetime import datetime
from typing import Literal

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field, field_validator

from opsdesk.core.downloads import attachment_response
from opsdesk.core.exceptions import DomainError, InvalidInput
from opsdesk.incidents import selectors, services
from opsdesk.incidents.choices import Action, Channel
from opsdesk.incidents.filters import (CLOCK_STATES, ESCALATIONS, MAX_RISK_MINUTES,
                                       MAX_STALE_HOURS, SLA_CLOCKS)
from opsdesk.incidents.refs import resolve_refs

from . import incident_output as out
from .filters import filters_from_query
from .responses import json_response
from .incident_schemas import (ActionIn, AttachmentOut, CommentIn, CommentOut, EventOut,
                               IncidentCreateIn, IncidentOut, IncidentPage, IncidentUpdateIn,
                               PeopleIn)
from .schemas import ERRORS, ErrorOut

router = Router()


class ListQuery(Schema):
    status: list[str] = Field([], description="logged, assigned, in_progress, pending, "
                                              "resolved, closed, cancelled; or open / active")
    priority: list[int] = []
    group: list[str] = Field([], description="Support group codes")
    assignee: str | None = Field(None, description="Username, `me` or `none`")
    owner: str | None = Field(None, description="Username or `me`")
    requester: str | None = Field(None, description="Username or `me`")
    category: str | None = Field(None, description="Category path; includes sub-categories")
    service: str | None = None
    source: str | None = None
    nature: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    updated_after: datetime | None = None
    updated_before: datetime | None = None
    q: str | None = Field(None, max_length=200, description="Number or words of the text")
    reopened: bool = Field(False, description="Only incidents reopened at least once")
    stale_hours: int | None = Field(None, ge=1, le=43920,
                                    description="No update for at least this many hours")
    # The measures' parameters: every KPI, dashboard and analysis number links to the list of
    # the incidents it counts with these (opsdesk/incidents/filters.py says what each means).
    responded_after: datetime | None = Field(None, description="First response at or after")
    responded_before: datetime | None = Field(None, description="First response before")
    resolved_after: datetime | None = Field(None, description="(Last) resolution at or after")
    resolved_before: datetime | None = Field(None, description="(Last) resolution before")
    closed_after: datetime | None = Field(None, description="Closed at or after")
    closed_before: datetime | None = Field(None, description="Closed before")
    responded: bool | None = Field(None, description="Has a first response")
    resolved: bool | None = Field(None, description="Has a resolution time")
    response_breached: bool | None = Field(
        None, description="true: the response clock breached; false: it has not (met or running)")
    resolution_breached: bool | None = Field(
        None, description="true: the resolution clock breached; false: it has not")
    response_sla: Literal[CLOCK_STATES] | None = Field(  # type: ignore[valid-type]
        None, description="Where the response clock stands")
    resolution_sla: Literal[CLOCK_STATES] | None = Field(  # type: ignore[valid-type]
        None, description="Where the resolution clock stands")
    ever_resolved: bool | None = Field(None, description="Resolved at least once")
    first_contact: bool | None = Field(None, description="Resolved at first contact by the desk")
    assigned: bool | None = Field(None, description="Ever assigned to a group")
    handed_back: bool | None = Field(None, description="Handed back at least once")
    reassigned: bool | None = Field(None, description="Assigned again after the first time")
    escalated: Literal[ESCALATIONS] | None = Field(  # type: ignore[valid-type]
        None, description="A move to a higher line or the vendor, or management told")
    major: bool | None = Field(None, description="Declared a major incident")
    complete: bool | None = Field(None, description="Every field of record completeness filled")
    repeat: bool | None = Field(None, description="A repeat of the requester's recent incident")
    age_min_hours: int | None = Field(None, ge=0, le=MAX_STALE_HOURS,
                                      description="Registered at least this many hours ago")
    age_max_hours: int | None = Field(None, ge=0, le=MAX_STALE_HOURS,
                                      description="Registered less than this many hours ago")
    handled_by: str | None = Field(None, description="A group code that held it at some point")
    at_risk_minutes: int | None = Field(
        None, ge=1, le=MAX_RISK_MINUTES,
        description="An SLA clock still running falls due within this many minutes")
    breached_after: datetime | None = Field(None, description="An SLA clock breached at or after")
    breached_before: datetime | None = Field(None, description="An SLA clock breached before")
    sla_clock: Literal[SLA_CLOCKS] | None = Field(  # type: ignore[valid-type]
        None, description="Narrows at_risk_minutes and breached_* to one clock")
    has_assignee: bool | None = Field(None, description="A person is assigned")
    sort: str = "-registered_at"
    cursor: str = ""
    limit: int = Field(50, ge=1, le=200)

    @field_validator("*", mode="after")
    @classmethod
    def _in_local_time(cls, value):
        """A date or time without a zone is the site's local time, as in the web's lists."""
        if isinstance(value, datetime) and timezone.is_naive(value):
            return timezone.make_aware(value)
        return value


@router.post("", response={201: IncidentOut, **ERRORS}, summary="Log an incident")
def create_incident(request, payload: IncidentCreateIn):
    """Log an incident. Send `Idempotency-Key` to make retries safe: a repeat returns the first result."""
    key = request.headers.get("Idempotency-Key", "").strip()
    if len(key) > 255:
        raise InvalidInput(errors={"Idempotency-Key": _("Use at most 255 characters.")})
    data = resolve_refs(payload.dict(exclude_unset=True))
    group, assignee = data.pop("assignment_group", None), data.pop("assignee", None)
    if assignee is not None and group is None:
        raise InvalidInput(errors={"assignment_group": _("Name the group of the assignee.")})
    assign = {"assignment_group": group, "assignee": assignee} if group is not None else None
    incident, created = services.incident_create(
        by=request.auth, data=data, channel=Channel.API, idempotency_key=key,
        digest=services.request_digest(payload.dict()), assign=assign)
    if not created:  # a retry: answer with the incident as it is now
        return json_response(out.incident_detail(incident_number=incident.number,
                                                 user=request.auth, after_action=True),
                             status=201)
    return json_response(out.incident_created_dict(incident=incident, user=request.auth,
                                                   data=data), status=201)


@router.get("", response={200: IncidentPage, **ERRORS}, summary="List incidents")
def list_incidents(request, query: Query[ListQuery]):
    """Incidents the caller may see, newest first by default, one page at a time (keyset)."""
    filters = filters_from_query(query=query, user=request.auth)
    rows, cursor = selectors.incident_list(user=request.auth, filters=filters, sort=query.sort,
                                           cursor=query.cursor, limit=query.limit)
    return json_response({"items": [out.incident_dict(i) for i in rows],
                          "next_cursor": cursor or None})


class VersionMismatch(DomainError):
    """If-Match named a version the incident no longer has: 412, nothing written."""

    status_code = 412
    default_message = _lazy("The incident changed after you read it: If-Match does not match "
                            "its ETag. Nothing was saved. Read it again (GET), then send your "
                            "change with the new ETag.")


def _with_etag(data: dict):
    """The incident as JSON, with its version as the ETag (for If-Match on PATCH)."""
    response = json_response(data)
    response["ETag"] = f'"{services.incident_version(data["updated_at"])}"'
    return response


def _if_match(request) -> tuple[str, ...] | None:
    """The versions If-Match names (quotes and W/ stripped); None without it or for `*`."""
    header = request.headers.get("If-Match", "").strip()
    if not header or header == "*":
        return None
    tags = tuple(tag.strip().removeprefix("W/").strip('"') for tag in header.split(","))
    return tuple(tag for tag in tags if tag) or None


@router.get("/{number}", response={200: IncidentOut, **ERRORS}, summary="Get an incident")
def get_incident(request, number: str):
    """The incident; its ETag is the version to send as If-Match when changing it."""
    return _with_etag(out.incident_detail(incident_number=number, user=request.auth))


@router.patch("/{number}", response={200: IncidentOut, **ERRORS, 412: ErrorOut},
              summary="Change fields")
def update_incident(request, number: str, payload: IncidentUpdateIn):
    """Change fields; each change is recorded in the history. Status changes go through actions.

    Send `If-Match` with the ETag of your GET to make the change conditional: if anyone changed
    the incident since, the answer is 412 and nothing is written. Without If-Match the fields
    sent are written over the current ones (last write wins, field by field).
    """
    incident = selectors.incident_get(user=request.auth, number=number)
    data = resolve_refs(payload.dict(exclude_unset=True))
    if not data:
        raise InvalidInput(errors={"body": _("Send at least one field to change.")})
    try:
        services.incident_update(incident=incident, by=request.auth, data=data,
                                 channel=Channel.API, expected_version=_if_match(request))
    except services.StaleVersion:
        raise VersionMismatch() from None
    return _with_etag(out.incident_detail(incident_number=number, user=request.auth,
                                          after_action=True))


@router.post("/{number}/actions/{action}", response={200: IncidentOut, **ERRORS},
             summary="Take a lifecycle action")
def take_action(request, number: str, action: Action, payload: ActionIn | None = None):
    """assign, accept, hand_back, start, pend, resume, resolve, confirm, reject, close, cancel, reopen."""
    incident = selectors.incident_get(user=request.auth, number=number)
    params = resolve_refs((payload or ActionIn()).dict(exclude_unset=True))
    services.incident_transition(incident=incident, action=action, by=request.auth,
                                 channel=Channel.API, **params)
    return json_response(out.incident_detail(incident_number=number, user=request.auth,
                                             after_action=True))


@router.get("/{number}/comments", response={200: list[CommentOut], **ERRORS})
def list_comments(request, number: str):
    """Replies and, for support staff, work notes; oldest first."""
    incident = selectors.incident_get(user=request.auth, number=number)
    return [out.comment_dict(c) for c in selectors.incident_comments(user=request.auth,
                                                                      incident=incident)]


@router.post("/{number}/comments", response={201: CommentOut, **ERRORS})
def add_comment(request, number: str, payload: CommentIn):
    """Add a public reply or an internal work note."""
    incident = selectors.incident_get(user=request.auth, number=number)
    comment = services.comment_create(incident=incident, by=request.auth, body=payload.body,
                                      visibility=payload.visibility, channel=Channel.API)
    return Status(201, out.comment_dict(comment))


@router.get("/{number}/attachments", response={200: list[AttachmentOut], **ERRORS})
def list_attachments(request, number: str):
    incident = selectors.incident_get(user=request.auth, number=number)
    return [out.attachment_dict(a, number) for a in
            selectors.incident_attachments(user=request.auth, incident=incident)]


@router.post("/{number}/attachments", response={201: AttachmentOut, **ERRORS})
def add_attachment(request, number: str, file: File[UploadedFile],
                   visibility: Form[str] = "public"):
    """Upload a file (multipart/form-data, field `file`)."""
    incident = selectors.incident_get(user=request.auth, number=number)
    attachment = services.attachment_create(incident=incident, by=request.auth, upload=file,
                                            visibility=visibility, channel=Channel.API)
    return Status(201, out.attachment_dict(attachment, number))


@router.get("/{number}/attachments/{attachment_id}", response={200: None, **ERRORS},
            summary="Download an attachment")
def download_attachment(request, number: str, attachment_id: int):
    """The file itself, after the same permission check as the incident."""
    incident = selectors.incident_get(user=request.auth, number=number)
    return attachment_response(selectors.incident_attachment_get(
        user=request.auth, incident=incident, attachment_id=attachment_id))


@router.get("/{number}/history", response={200: list[EventOut], **ERRORS})
def list_history(request, number: str):
    """The append-only history, oldest first; read-only by design."""
    incident = selectors.incident_get(user=request.auth, number=number)
    return [out.event_dict(e) for e in selectors.incident_history(user=request.auth,
                                                                   incident=incident)]


@router.post("/{number}/collaborators", response={200: IncidentOut, **ERRORS})
def add_collaborators(request, number: str, payload: PeopleIn):
    """Add engineers who work on the incident with the assignee."""
    return _change_people(request, number, "collaborators", payload.usernames, add=True)


@router.delete("/{number}/collaborators/{username}", response={200: IncidentOut, **ERRORS})
def remove_collaborator(request, number: str, username: str):
    return _change_people(request, number, "collaborators", [username], add=False)


@router.post("/{number}/watchers", response={200: IncidentOut, **ERRORS})
def add_watchers(request, number: str, payload: PeopleIn):
    """Add people who follow the incident; anyone who sees it may add themselves."""
    return _change_people(request, number, "watchers", payload.usernames, add=True)


@router.delete("/{number}/watchers/{username}", response={200: IncidentOut, **ERRORS})
def remove_watcher(request, number: str, username: str):
    return _change_people(request, number, "watchers", [username], add=False)


def _change_people(request, number, field, usernames, *, add):
    incident = selectors.incident_get(user=request.auth, number=number)
    users = resolve_refs({field: usernames})[field]
    change = services.people_add if add else services.people_remove
    change(incident=incident, by=request.auth, field=field, users=users, channel=Channel.API)
    return json_response(out.incident_detail(incident_number=number, user=request.auth,
                                             after_action=True))
