"""Statuses, actions and the table of allowed transitions (SPEC §2)."""

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _


class Status(models.IntegerChoices):
    LOGGED = 10, _("Logged")
    ASSIGNED = 20, _("Assigned")
    IN_PROGRESS = 30, _("In progress")
    PENDING = 35, _("Pending")
    RESOLVED = 40, _("Resolved")
    CLOSED = 50, _("Closed")
    CANCELLED = 90, _("Cancelled")

    @property
    def key(self) -> str:
        """The API name of the status: logged, assigned, in_progress …"""
        return self.name.lower()


OPEN_STATUSES = (Status.LOGGED, Status.ASSIGNED, Status.IN_PROGRESS, Status.PENDING)
ACTIVE_STATUSES = OPEN_STATUSES + (Status.RESOLVED,)
FINAL_STATUSES = (Status.CLOSED, Status.CANCELLED)
STATUS_BY_KEY = {s.name.lower(): s for s in Status}


class Action(models.TextChoices):
    ASSIGN = "assign", _("Assign")
    ACCEPT = "accept", _("Accept")
    HAND_BACK = "hand_back", _("Hand back")
    START = "start", _("Start work")
    PEND = "pend", _("Pend")
    RESUME = "resume", _("Resume")
    RESOLVE = "resolve", _("Resolve")
    CONFIRM = "confirm", _("Confirm resolution")
    REJECT = "reject", _("Reject resolution")
    CLOSE = "close", _("Close")
    CANCEL = "cancel", _("Cancel")
    REOPEN = "reopen", _("Reopen")
    AWAIT_APPROVAL = "await_approval", _("Await approval")


class Actor(models.TextChoices):
    """How the acting person relates to the incident; guards name the relations they allow."""

    REQUESTER = "requester", _("requester")
    OWNER = "owner", _("owner")
    DESK = "desk", _("service desk")
    ASSIGNEE = "assignee", _("assignee")
    GROUP = "group", _("member of the assignment group")
    COLLABORATOR = "collaborator", _("collaborator")
    MANAGER = "manager", _("incident manager")


@dataclass(frozen=True)
class Transition:
    """One row of the transition table: where from, where to, who may, what it needs."""

    sources: tuple[Status, ...]
    target: Status | None  # None: the target depends on the incident (see services)
    allowed: frozenset[Actor]
    required: tuple[str, ...] = ()


_STAFF = frozenset({Actor.DESK, Actor.MANAGER})
_WORKERS = frozenset({Actor.DESK, Actor.MANAGER, Actor.ASSIGNEE, Actor.GROUP})

TRANSITIONS: dict[Action, Transition] = {
    # The desk assigns; the assignment group reassigns or escalates to the next line.
    Action.ASSIGN: Transition(
        (Status.LOGGED, Status.ASSIGNED, Status.IN_PROGRESS, Status.PENDING),
        Status.ASSIGNED, _WORKERS, ("assignment_group",)),
    Action.ACCEPT: Transition(
        (Status.ASSIGNED,), Status.IN_PROGRESS,
        frozenset({Actor.ASSIGNEE, Actor.GROUP, Actor.MANAGER})),
    # 退回派单: back to the owner's queue, counted.
    Action.HAND_BACK: Transition(
        (Status.ASSIGNED, Status.IN_PROGRESS), Status.LOGGED,
        frozenset({Actor.ASSIGNEE, Actor.GROUP, Actor.MANAGER}), ("reason",)),
    # The desk starts work itself at the first line, or the assignee starts without accepting.
    Action.START: Transition(
        (Status.LOGGED, Status.ASSIGNED), Status.IN_PROGRESS, _WORKERS),
    Action.PEND: Transition(
        (Status.IN_PROGRESS,), Status.PENDING, _WORKERS, ("pending_reason",)),
    Action.RESUME: Transition(
        (Status.PENDING,), Status.IN_PROGRESS, _WORKERS),
    Action.RESOLVE: Transition(
        OPEN_STATUSES, Status.RESOLVED, _WORKERS, ("resolution", "resolution_code")),
    # The user confirms in the portal, or the owner confirms with the user by phone.
    Action.CONFIRM: Transition(
        (Status.RESOLVED,), Status.CLOSED,
        frozenset({Actor.REQUESTER, Actor.OWNER, Actor.DESK, Actor.MANAGER})),
    # A rejection is a reopen: back to whoever resolved it.
    Action.REJECT: Transition(
        (Status.RESOLVED,), Status.IN_PROGRESS, frozenset({Actor.REQUESTER, Actor.OWNER}),
        ("reason",)),
    Action.CLOSE: Transition(
        ACTIVE_STATUSES, Status.CLOSED, _STAFF | {Actor.OWNER}, ("closure_code",)),
    Action.CANCEL: Transition(
        OPEN_STATUSES, Status.CANCELLED, _STAFF | {Actor.OWNER, Actor.REQUESTER}, ("reason",)),
    Action.REOPEN: Transition(
        (Status.RESOLVED,), Status.IN_PROGRESS, _WORKERS | {Actor.OWNER}, ("reason",)),
    # System only (catalog): a new service request waits for the requester's manager.
    Action.AWAIT_APPROVAL: Transition(
        (Status.LOGGED,), Status.PENDING, frozenset(), ("pending_reason",)),
}


class Channel(models.TextChoices):
    """Through which channel a change reached us."""

    WEB = "web", _("web")
    API = "api", _("API")
    EMAIL = "email", _("email")
    PHONE = "phone", _("phone")
    ALERT = "alert", _("monitoring alert")
    SYSTEM = "system", _("system")


class EventKind(models.TextChoices):
    CREATED = "created", _("created")
    FIELD = "field", _("field changed")
    TRANSITION = "transition", _("status changed")
    COMMENT = "comment", _("comment")
    ATTACHMENT = "attachment", _("attachment")
    ASSIGNMENT = "assignment", _("assignment")
    COLLABORATOR = "collaborator", _("collaborators")
    SLA = "sla", _("service level")  # warnings, breaches, escalations, auto-close


class Visibility(models.TextChoices):
    PUBLIC = "public", _("public reply")
    INTERNAL = "internal", _("internal work note")
