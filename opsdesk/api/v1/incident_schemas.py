"""Request and response schemas of the incident endpoints."""

from datetime import datetime

from ninja import Schema
from pydantic import ConfigDict, Field

from .schemas import Ref

_STRICT = ConfigDict(extra="forbid")
Text200 = Field(min_length=1, max_length=200)


class IncidentFieldsIn(Schema):
    """Fields a person may set; everything else (number, status, timestamps …) is the system's."""

    model_config = _STRICT

    requester: str | None = Field(None, description="Username of the person affected")
    contact_name: str | None = Field(None, max_length=100)
    contact_phone: str | None = Field(None, max_length=40)
    contact_email: str | None = Field(None, max_length=254)
    occurred_at: datetime | None = None
    location: str | None = Field(None, description="Location code")
    source: str | None = Field(None, description="Source code, e.g. 01 phone")
    nature: str | None = Field(None, description="01 incident, 02 service request, 03 consultation")
    description: str | None = Field(None, max_length=20000)
    category: str | None = Field(None, description="Category path, e.g. NET.VPN")
    service: str | None = Field(None, description="Service code")
    configuration_items: list[str] | None = Field(None, description="CI names")
    impact: int | None = Field(None, ge=1, le=9)
    urgency: int | None = Field(None, ge=1, le=9)
    priority: int | None = Field(None, ge=1, le=9, description="Override of the matrix")
    priority_override_reason: str | None = Field(None, max_length=300)
    vendor: str | None = Field(None, description="Vendor name")
    vendor_reference: str | None = Field(None, max_length=100)
    duplicate_of: str | None = Field(None, description="Number of the master incident")
    parent: str | None = Field(None, description="Number of the parent (major) incident")
    alert_ids: list[str] | None = None
    related_problem: str | None = Field(None, max_length=40)
    related_change: str | None = Field(None, max_length=40)
    collaborators: list[str] | None = Field(None, description="Usernames")
    watchers: list[str] | None = Field(None, description="Usernames")


class IncidentCreateIn(IncidentFieldsIn):
    short_description: str = Text200
    assignment_group: str | None = Field(None, description="Assign at once to this group code")
    assignee: str | None = Field(None, description="… and to this member (username)")


class IncidentUpdateIn(IncidentFieldsIn):
    short_description: str | None = Field(None, min_length=1, max_length=200)


class ActionIn(Schema):
    """Parameters of a lifecycle action; each action needs only some of them."""

    model_config = _STRICT

    reason: str | None = Field(None, max_length=2000)
    assignment_group: str | None = None
    assignee: str | None = None
    pending_reason: str | None = None
    resolution: str | None = Field(None, max_length=20000)
    resolution_code: str | None = None
    is_workaround: bool = False
    closure_code: str | None = None
    duplicate_of: str | None = None


class LevelRef(Schema):
    level: int
    name: str


class IncidentOut(Schema):
    number: str
    status: str
    status_label: str
    short_description: str
    description: str
    requester: Ref
    requester_department: Ref | None
    contact_name: str
    contact_phone: str
    contact_email: str
    owner: Ref | None
    created_by: Ref | None
    channel: str
    registered_at: datetime
    updated_at: datetime
    occurred_at: datetime | None
    location: Ref | None
    source: Ref | None
    nature: Ref | None
    category: Ref | None
    service: Ref | None
    configuration_items: list[Ref] | None = None
    impact: LevelRef
    urgency: LevelRef
    priority: LevelRef
    priority_overridden: bool
    priority_override_reason: str
    assignment_group: Ref | None
    assignee: Ref | None
    collaborators: list[Ref] | None = None
    watchers: list[Ref] | None = None
    pending_reason: Ref | None
    first_response_at: datetime | None
    assigned_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    response_due_at: datetime | None
    resolution_due_at: datetime | None
    response_breached: bool
    resolution_breached: bool
    first_contact_resolution: bool
    reassignment_count: int
    hand_back_count: int
    reopen_count: int
    escalation_count: int
    resolution: str
    is_workaround: bool
    resolution_code: Ref | None
    closure_code: Ref | None
    vendor: Ref | None
    vendor_reference: str
    duplicate_of: str | None
    parent: str | None
    alert_ids: list[int | str]  # our alerts' ids (alert intake), or a caller's own references
    related_problem: str
    related_change: str
    satisfaction_score: int | None
    satisfaction_comment: str
    allowed_actions: list[str] | None = Field(
        None, description="Actions the caller may take now (detail responses only)")


class IncidentPage(Schema):
    items: list[IncidentOut]
    next_cursor: str | None = Field(None, description="Pass as ?cursor= for the next page")


class CommentIn(Schema):
    model_config = _STRICT

    body: str = Field(min_length=1, max_length=50000)
    visibility: str = Field("public", pattern="^(public|internal)$")


class CommentOut(Schema):
    id: int
    author: Ref
    visibility: str
    body: str
    channel: str
    created_at: datetime


class AttachmentOut(Schema):
    id: int
    filename: str
    content_type: str
    size: int
    sha256: str
    visibility: str
    uploaded_by: Ref
    created_at: datetime
    download_url: str


class EventOut(Schema):
    id: int
    kind: str
    actor: Ref | None
    channel: str
    at: datetime
    field: str
    old_value: str
    new_value: str
    action: str
    from_status: str | None
    to_status: str | None
    data: dict


class PeopleIn(Schema):
    model_config = _STRICT

    usernames: list[str] = Field(min_length=1)
