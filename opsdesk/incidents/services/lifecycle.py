"""The one way to change an incident's status: incident_transition and the table in choices.py."""

from collections.abc import Callable

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from opsdesk.core.services import text_clean
from opsdesk.core.exceptions import Conflict, InvalidInput, NotPermitted
from opsdesk.sla.engine import sla_on_transition
from opsdesk.sla.escalation import escalation_after_reassignment
from opsdesk.search.services import incident_index

from .. import events, hooks, notify
from ..choices import TRANSITIONS, Action, Actor, Channel, Status
from ..models import Incident
from .relations import actor_relations

# Closure codes from the default table that the lifecycle relies on.
CLOSURE_FIXED, CLOSURE_WORKAROUND, CLOSURE_DUPLICATE, CLOSURE_WITHDRAWN = "01", "02", "04", "07"
# Actions that count as the first response of support to the incident.
RESPONSE_ACTIONS = frozenset({Action.ACCEPT, Action.START, Action.PEND, Action.RESOLVE})
# A service request awaiting its approval (catalog) is not worked: people may only cancel it;
# the approval itself assigns it (a system assign), a rejection cancels it.
PENDING_AWAITING_APPROVAL = "06"
WHILE_AWAITING_APPROVAL = frozenset({Action.CANCEL})


def allowed_actions(*, user, incident: Incident, collaborators=None) -> list[Action]:
    """Actions this person may take on this incident now (the UI offers only these)."""
    relations = actor_relations(user=user, incident=incident, collaborators=collaborators)
    return [action for action, t in TRANSITIONS.items()
            if incident.status in t.sources and relations & t.allowed
            and not _held_for_approval(incident=incident, action=action)]


def _held_for_approval(*, incident: Incident, action: str) -> bool:
    return (incident.status == Status.PENDING
            and incident.pending_reason_id == PENDING_AWAITING_APPROVAL
            and action not in WHILE_AWAITING_APPROVAL)


def incident_transition(*, incident: Incident, action: str, by, channel: str = Channel.WEB,
                        **params) -> Incident:
    """Take `action` on the incident as `by`, with the action's parameters.

    Locks the row, checks the transition table and the guard (who, from which status, which
    fields are needed), applies the action's effects and system timestamps, and writes the
    history in the same transaction. Raises Conflict, NotPermitted or InvalidInput.
    `by=None` is the system itself (automatic resume, auto-close): it passes the who-guard.
    """
    try:
        action = Action(action)
    except ValueError:
        raise InvalidInput(_("Unknown action “%(action)s”.") % {"action": action}) from None
    rule = TRANSITIONS[action]
    with transaction.atomic():
        incident = Incident.objects.select_for_update().get(pk=incident.pk)
        relations = actor_relations(user=by, incident=incident)
        if by is not None and not relations & rule.allowed:
            raise NotPermitted(_("You may not %(action)s this incident.") % {
                "action": action.label.lower()})
        if incident.status not in rule.sources:
            raise Conflict(_("An incident that is %(status)s cannot be given the action "
                             "“%(action)s”.") % {"status": Status(incident.status).label.lower(),
                                                 "action": action.label})
        if by is not None and _held_for_approval(incident=incident, action=action):
            raise Conflict(_("This request awaits its approval: it can only be cancelled "
                             "until the approver decides."))
        _require(rule.required, params)
        hooks.transition_check(incident=incident, action=action, by=by, params=params)
        from_status = incident.status
        now = timezone.now()
        reason = (params.get("reason") or "").strip()
        data = EFFECTS[action](incident=incident, by=by, relations=relations, now=now,
                               channel=channel, **params) or {}
        incident.status = rule.target
        if incident.status != Status.PENDING:
            incident.pending_reason = None  # leaving pending by any path ends the wait
        if action in RESPONSE_ACTIONS and incident.first_response_at is None:
            incident.first_response_at = now
        if incident.owner_id is None and by is not None and by.is_service_desk:
            incident.owner = by
        sla_on_transition(incident=incident, action=action, old_status=from_status,
                          new_status=incident.status, now=now)
        incident.save()
        if action == Action.RESOLVE:  # the resolution text is searchable
            incident_index(incident)
        event = events.event_transition(incident=incident, by=by, channel=channel,
                                        action=action, from_status=from_status, reason=reason,
                                        data=data)
        notify.notify_transition(incident=incident, by=by, action=action, event=event)
        hooks.transition_done(incident=incident, action=action, by=by, channel=channel,
                              from_status=from_status, event=event)
    return incident


def _require(required: tuple[str, ...], params: dict) -> None:
    messages = {
        "reason": _("Give a reason."),
        "assignment_group": _("Choose the group to assign to."),
        "pending_reason": _("Choose why the incident is pending."),
        "resolution": _("Describe the resolution."),
        "resolution_code": _("Choose a resolution code."),
        "closure_code": _("Choose a closure code."),
    }
    errors = {}
    for field in required:
        value = params.get(field)
        if value is None or (isinstance(value, str) and not value.strip()):
            errors[field] = messages[field]
    if errors:
        raise InvalidInput(errors=errors)


def _assign(*, incident, by, relations, now, channel, assignment_group=None, assignee=None,
            **_params):
    if assignee is not None and not assignment_group.members.filter(pk=assignee.pk).exists():
        raise InvalidInput(errors={"assignee": _("%(user)s is not a member of %(group)s.") % {
            "user": assignee, "group": assignment_group}})
    old_group, old_assignee = incident.assignment_group, incident.assignee
    if (old_group, old_assignee) == (assignment_group, assignee):
        raise Conflict(_("The incident is already assigned there."))
    escalation = bool(old_group and assignment_group.line > old_group.line)
    if incident.assigned_at is None:
        incident.assigned_at = now
    else:
        incident.reassignment_count += 1
        escalation_after_reassignment(incident=incident)
    if escalation:
        incident.escalation_count += 1
    incident.assignment_group, incident.assignee = assignment_group, assignee
    events.event_assignment(incident=incident, by=by, channel=channel, old_group=old_group,
                            old_assignee=old_assignee, escalation=escalation)
    return {"group": assignment_group.code, "assignee": getattr(assignee, "username", None),
            "escalation": escalation}


def _accept(*, incident, by, relations, **_params):
    if relations & {Actor.GROUP, Actor.ASSIGNEE} and incident.assignee_id != by.pk:
        return _take(incident=incident, by=by)
    return {}


def _start(*, incident, by, relations, **_params):
    if incident.assignee_id is None and relations & {Actor.GROUP, Actor.ASSIGNEE}:
        return _take(incident=incident, by=by)
    return {}


def _take(*, incident, by):
    old = incident.assignee
    incident.assignee = by
    events.event_field_changed(incident=incident, by=by, channel=Channel.SYSTEM,
                               field="assignee", old=old, new=by)
    return {"assignee": by.username}


def _hand_back(*, incident, reason, **_params):
    data = {"group": incident.assignment_group.code if incident.assignment_group else None,
            "assignee": getattr(incident.assignee, "username", None)}
    incident.hand_back_count += 1
    incident.assignment_group, incident.assignee = None, None
    return data


def _pend(*, incident, pending_reason, **_params):
    incident.pending_reason = pending_reason
    return {"pending_reason": pending_reason.code}


def _resume(*, incident, **_params):
    data = {"pending_reason": getattr(incident.pending_reason, "code", None)}
    incident.pending_reason = None
    return data


def _resolve(*, incident, by, relations, now, resolution, resolution_code, is_workaround=False,
             **_params):
    incident.resolution = text_clean(resolution)
    incident.resolution_code = resolution_code
    incident.is_workaround = bool(is_workaround)
    incident.resolved_at = now
    incident.pending_reason = None
    # First-contact resolution: the service desk resolved it without ever assigning it away.
    incident.first_contact_resolution = bool(
        Actor.DESK in relations and incident.assigned_at is None and incident.reopen_count == 0)
    return {"resolution_code": resolution_code.code, "is_workaround": incident.is_workaround,
            "first_contact_resolution": incident.first_contact_resolution}


def _confirm(*, incident, by, relations, now, closure_code=None, duplicate_of=None, **_params):
    from opsdesk.reference.models import ClosureCode

    if closure_code is None:
        default = CLOSURE_WORKAROUND if incident.is_workaround else CLOSURE_FIXED
        closure_code = ClosureCode.objects.get(pk=default)
    data = _close(incident=incident, now=now, closure_code=closure_code, duplicate_of=duplicate_of)
    return {**data, "by_requester": Actor.REQUESTER in relations}


def _reopen(*, incident, **_params):
    incident.reopen_count += 1
    incident.resolved_at = None
    incident.first_contact_resolution = False
    return {"reopen_count": incident.reopen_count}


def _close(*, incident, now, closure_code, duplicate_of=None, **_params):
    if duplicate_of is not None:
        if duplicate_of.pk == incident.pk:
            raise InvalidInput(errors={"duplicate_of": _(
                "An incident cannot be a duplicate of itself.")})
        incident.duplicate_of = duplicate_of
    if closure_code.code == CLOSURE_DUPLICATE and incident.duplicate_of_id is None:
        raise InvalidInput(errors={"duplicate_of": _(
            "Name the master incident this one duplicates.")})
    incident.closure_code = closure_code
    incident.closed_at = now
    return {"closure_code": closure_code.code,
            "duplicate_of": incident.duplicate_of.number if incident.duplicate_of_id else None}


def _cancel(*, incident, relations, **_params):
    from opsdesk.reference.models import ClosureCode

    if Actor.REQUESTER in relations and not relations & {Actor.DESK, Actor.MANAGER}:
        incident.closure_code = ClosureCode.objects.filter(pk=CLOSURE_WITHDRAWN).first()
    incident.pending_reason = None
    return {}


EFFECTS: dict[Action, Callable[..., dict | None]] = {
    Action.ASSIGN: _assign,
    Action.ACCEPT: _accept,
    Action.HAND_BACK: _hand_back,
    Action.START: _start,
    Action.PEND: _pend,
    Action.RESUME: _resume,
    Action.RESOLVE: _resolve,
    Action.CONFIRM: _confirm,
    Action.REJECT: _reopen,
    Action.CLOSE: _close,
    Action.CANCEL: _cancel,
    Action.REOPEN: _reopen,
    Action.AWAIT_APPROVAL: _pend,
}
