"""REST API: major incidents (list, get, propose, promote, reject, declare, updates, children,
"affects me too", the process owner's rules). Routers call the major services and selectors."""

from datetime import datetime

from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja import Status as Reply
from pydantic import ConfigDict, Field

from opsdesk.accounts.models import User
from opsdesk.cmdb.models import Service
from opsdesk.core.exceptions import InvalidInput, NotFound, NotPermitted
from opsdesk.incidents import selectors as incident_selectors
from opsdesk.incidents.choices import Channel, Status
from opsdesk.incidents.models import Incident
from opsdesk.major import selectors, services
from opsdesk.major.affected import affected_attach, affected_summary
from opsdesk.major.criteria import criteria_list, criteria_replace
from opsdesk.major.models import MajorState
from opsdesk.major.permissions import may_edit_criteria, may_view_majors
from opsdesk.notifications.models import Endpoint
from opsdesk.reference.models import Impact, Priority

from .schemas import ERRORS

router = Router(tags=["major incidents"])
_STRICT = ConfigDict(extra="forbid")


class MajorOut(Schema):
    number: str
    short_description: str
    state: str
    incident_status: str
    priority: int
    manager: str | None
    proposed_by: str | None
    proposal_reason: str
    rejection_reason: str
    declared_at: datetime | None
    resolved_at: datetime | None
    cadence_minutes: int
    next_update_due_at: datetime | None
    update_missed: bool
    missed_count: int
    services: list[str] = []
    stakeholders: list[str] = []
    children: list[dict] = []
    affected: dict = {}


class UpdateIn(Schema):
    model_config = _STRICT
    text: str = Field(..., max_length=5000)
    is_public: bool = True


class UpdateOut(Schema):
    id: int
    text: str
    is_public: bool
    author: str | None
    created_at: datetime


class ProposeIn(Schema):
    model_config = _STRICT
    reason: str = Field(..., max_length=500)


class DeclareIn(Schema):
    model_config = _STRICT
    manager: str | None = Field(None, description="Username of an incident manager")
    reason: str = Field("", max_length=500)
    cadence_minutes: int | None = None
    stakeholders: list[str] | None = Field(None, description="Usernames")
    endpoints: list[int] | None = Field(None, description="Notification endpoint ids")
    services: list[str] | None = Field(None, description="Service codes")


class ChildrenIn(Schema):
    model_config = _STRICT
    numbers: list[str] = Field(..., min_length=1, max_length=500)


class RuleIn(Schema):
    model_config = _STRICT
    kind: str
    action: str = "propose"
    priority: int | None = None
    impact: int | None = None
    service: str | None = None
    count: int | None = None
    window_minutes: int | None = None
    cadence_minutes: int = 30
    is_active: bool = True


class CriteriaIn(Schema):
    model_config = _STRICT
    rules: list[RuleIn] = Field(..., max_length=50)


def _major_dict(major, *, detail: bool = False) -> dict:
    incident = major.incident
    data = {
        "number": incident.number, "short_description": incident.short_description,
        "state": major.state, "incident_status": Status(incident.status).key,
        "priority": incident.priority_id,
        "manager": major.manager.username if major.manager_id else None,
        "proposed_by": major.proposed_by.username if major.proposed_by_id else None,
        "proposal_reason": major.proposal_reason, "rejection_reason": major.rejection_reason,
        "declared_at": major.declared_at, "resolved_at": major.resolved_at,
        "cadence_minutes": major.cadence_minutes, "next_update_due_at": major.next_update_due_at,
        "update_missed": selectors.update_is_missed(major), "missed_count": major.missed_count,
    }
    if detail:
        data["services"] = [s.code for s in major.services.all()]
        data["stakeholders"] = [u.username for u in major.stakeholders.all()]
        data["children"] = [{"number": c.number, "status": Status(c.status).key,
                             "requester": c.requester.username}
                            for c in selectors.major_children(major=major)]
        summary = affected_summary(incident=incident)
        data["affected"] = {"count": summary["count"], "departments": [
            {"name": str(name), "count": n} for name, n in summary["departments"]]}
    return data


def _staff(request) -> None:
    if not may_view_majors(request.auth):
        raise NotPermitted(_("Major incidents are for support staff."))


def _get(request, number):
    _staff(request)
    return selectors.major_get(user=request.auth, number=number)


def _refs(model, field: str, key: str, values, errors: dict, name: str) -> list:
    values = list(values or [])
    found = {getattr(r, key): r for r in model.objects.filter(**{f"{key}__in": values})}
    missing = [str(v) for v in values if v not in found]
    if missing:
        errors[field] = _("Unknown %(what)s: %(values)s.") % {"what": name,
                                                               "values": ", ".join(missing)}
    return [found[v] for v in values if v in found]


def _declare_options(payload: DeclareIn) -> dict:
    errors, options = {}, {"reason": payload.reason,
                           "cadence_minutes": payload.cadence_minutes}
    if payload.manager:
        found = _refs(User, "manager", "username", [payload.manager], errors, _("person"))
        options["manager"] = found[0] if found else None
    for field, model, key, name in (("stakeholders", User, "username", _("people")),
                                    ("endpoints", Endpoint, "pk", _("endpoints")),
                                    ("services", Service, "code", _("services"))):
        value = getattr(payload, field)
        if value is not None:
            options[field] = _refs(model, field, key, value, errors, name)
    if errors:
        raise InvalidInput(errors=errors)
    return options


@router.get("", response={200: list[MajorOut], **ERRORS}, summary="List major incidents",
            operation_id="major_list")
def major_list(request, state: str = "open"):
    """state: open (candidates and declared; the default), candidate, declared, rejected,
    resolved, closed or all. Newest first, at most 200."""
    _staff(request)
    states = {"open": [MajorState.CANDIDATE, MajorState.DECLARED], "all": None}.get(
        state, [state])
    if states and not set(states) <= set(MajorState.values):
        raise InvalidInput(errors={"state": _("Use open, all or one of: %(states)s.") % {
            "states": ", ".join(MajorState.values)}})
    rows = selectors.major_list(user=request.auth, states=states)
    incidents = set(Incident.objects.restrict(request.auth).filter(
        pk__in=[m.incident_id for m in rows]).values_list("pk", flat=True))
    return [_major_dict(m) for m in rows if m.incident_id in incidents]


@router.get("/criteria", response={200: CriteriaIn, **ERRORS}, summary="Declaration rules",
            operation_id="major_criteria_get")
def major_criteria_get(request):
    """The rules, in order (support staff may read them; the process owner changes them)."""
    _staff(request)
    return {"rules": [{"kind": r.kind, "action": r.action, "priority": r.priority_id,
                       "impact": r.impact_id, "service": r.service.code if r.service_id else None,
                       "count": r.count, "window_minutes": r.window_minutes,
                       "cadence_minutes": r.cadence_minutes, "is_active": r.is_active}
                      for r in criteria_list()]}


@router.put("/criteria", response={200: CriteriaIn, **ERRORS}, summary="Replace the rules",
            operation_id="major_criteria_put")
def major_criteria_put(request, payload: CriteriaIn):
    """Replace the whole rule set (process owner)."""
    if not may_edit_criteria(request.auth):
        raise NotPermitted(_("Only a process owner may change the major-incident rules."))
    rows, errors = [], {}
    for n, rule in enumerate(payload.rules):
        data = rule.dict()
        for field, model, key in (("priority", Priority, "level"), ("impact", Impact, "level"),
                                  ("service", Service, "code")):
            if data[field] is not None:
                found = model.objects.filter(**{key: data[field]}).first()
                if found is None:
                    errors[f"rules.{n}.{field}"] = _("Unknown value “%(value)s”.") % {
                        "value": data[field]}
                data[field] = found
        rows.append(data)
    if errors:
        raise InvalidInput(errors=errors)
    criteria_replace(by=request.auth, rules=rows)
    return major_criteria_get(request)


@router.get("/{number}", response={200: MajorOut, **ERRORS}, summary="Get a major incident",
            operation_id="major_get")
def major_get(request, number: str):
    return _major_dict(_get(request, number), detail=True)


@router.post("/{number}/propose", response={201: MajorOut, **ERRORS},
             summary="Propose an incident as a major incident", operation_id="major_propose")
def major_propose(request, number: str, payload: ProposeIn):
    incident = incident_selectors.incident_get(user=request.auth, number=number)
    major = services.major_propose(incident=incident, by=request.auth, reason=payload.reason,
                                   channel=Channel.API)
    return Reply(201, _major_dict(major, detail=True))


@router.post("/{number}/declare", response={200: MajorOut, **ERRORS},
             summary="Declare a major incident by hand", operation_id="major_declare")
def major_declare(request, number: str, payload: DeclareIn):
    incident = incident_selectors.incident_get(user=request.auth, number=number)
    major = services.major_declare(incident=incident, by=request.auth, channel=Channel.API,
                                   **_declare_options(payload))
    return _major_dict(major, detail=True)


@router.post("/{number}/promote", response={200: MajorOut, **ERRORS},
             summary="Promote a candidate", operation_id="major_promote")
def major_promote(request, number: str, payload: DeclareIn):
    major = services.major_promote(major=_get(request, number), by=request.auth,
                                   channel=Channel.API, **_declare_options(payload))
    return _major_dict(major, detail=True)


@router.post("/{number}/reject", response={200: MajorOut, **ERRORS},
             summary="Reject a candidate", operation_id="major_reject")
def major_reject(request, number: str, payload: ProposeIn):
    major = services.major_reject(major=_get(request, number), by=request.auth,
                                  reason=payload.reason, channel=Channel.API)
    return _major_dict(major, detail=True)


@router.get("/{number}/updates", response={200: list[UpdateOut], **ERRORS},
            summary="Status updates", operation_id="major_updates_list")
def major_updates_list(request, number: str):
    return [{"id": u.pk, "text": u.text, "is_public": u.is_public,
             "author": u.author.username if u.author_id else None, "created_at": u.created_at}
            for u in selectors.major_updates(major=_get(request, number))]


@router.post("/{number}/updates", response={201: UpdateOut, **ERRORS},
             summary="Post a status update", operation_id="major_update_post")
def major_update_post(request, number: str, payload: UpdateIn):
    update = services.major_update_post(major=_get(request, number), by=request.auth,
                                        text=payload.text, is_public=payload.is_public,
                                        channel=Channel.API)
    return Reply(201, {"id": update.pk, "text": update.text, "is_public": update.is_public,
                       "author": request.auth.username, "created_at": update.created_at})


@router.post("/{number}/children", response={200: MajorOut, **ERRORS},
             summary="Link child incidents", operation_id="major_children_link")
def major_children_link(request, number: str, payload: ChildrenIn):
    major = _get(request, number)
    found = {i.number: i for i in Incident.objects.restrict(request.auth)
             .filter(number__in=payload.numbers)}
    missing = [n for n in payload.numbers if n not in found]
    if missing:
        raise InvalidInput(errors={"numbers": _("Not found: %(numbers)s.") % {
            "numbers": ", ".join(missing)}})
    services.major_children_link(major=major, by=request.auth, channel=Channel.API,
                                 children=[found[n] for n in payload.numbers])
    return _major_dict(major, detail=True)


@router.delete("/{number}/children/{child}", response={200: MajorOut, **ERRORS},
               summary="Unlink a child incident", operation_id="major_child_unlink")
def major_child_unlink(request, number: str, child: str):
    major = _get(request, number)
    services.major_child_unlink(major=major, by=request.auth, channel=Channel.API,
                                child=incident_selectors.incident_get(user=request.auth,
                                                                      number=child))
    return _major_dict(major, detail=True)


@router.post("/{number}/affected", response={200: dict, 201: dict, **ERRORS},
             summary="Affects me too", operation_id="major_affected_attach")
def major_affected_attach(request, number: str):
    """Attach the caller to the outage (idempotent: 201 the first time, then 200)."""
    incident = Incident.objects.filter(number=number).first()
    if incident is None:
        raise NotFound(_("Incident %(number)s was not found.") % {"number": number})
    _row, created = affected_attach(incident=incident, user=request.auth, channel=Channel.API)
    summary = affected_summary(incident=incident)
    return Reply(201 if created else 200, {"attached": True, "count": summary["count"]})
