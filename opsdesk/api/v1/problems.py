"""REST API: problems (PRB…), their incidents and lifecycle, and the problem candidates."""

from datetime import datetime

from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import ConfigDict, Field

from opsdesk.core.exceptions import InvalidInput
from opsdesk.incidents import selectors as incident_selectors
from opsdesk.incidents.choices import Channel
from opsdesk.incidents.refs import resolve_refs
from opsdesk.problems import selectors, services

from .schemas import ERRORS, Ref, ref

router = Router()
_STRICT = ConfigDict(extra="forbid")
PEOPLE = ("assignee",)


class ProblemFieldsIn(Schema):
    """Fields a person may set; number, status and timestamps are the system's."""

    model_config = _STRICT

    description: str | None = Field(None, max_length=20_000)
    root_cause: str | None = Field(None, max_length=20_000)
    workaround: str | None = Field(None, max_length=20_000)
    owner_group: str | None = Field(None, description="Support group code")
    assignee: str | None = Field(None, description="Username (a member of the owner group)")
    priority: int | None = Field(None, description="Priority level 1-4")
    category: str | None = Field(None, description="Category path, e.g. NET.VPN")
    service: str | None = Field(None, description="Service code")
    configuration_items: list[str] | None = Field(None, description="CI names")


class ProblemCreateIn(ProblemFieldsIn):
    short_description: str | None = Field(
        None, max_length=200, description="The problem statement (default: the first incident's)")
    incidents: list[str] = Field(default_factory=list, max_length=500,
                                 description="Numbers of the incidents to link")


class ProblemUpdateIn(ProblemFieldsIn):
    short_description: str | None = Field(None, min_length=1, max_length=200)


class TransitionIn(Schema):
    model_config = _STRICT
    action: str = Field(description="investigate, known_error, resolve, reopen or close")
    reason: str = Field("", max_length=2000, description="reopen; close before resolved")
    workaround: str = Field("", max_length=20_000, description="known_error")
    root_cause: str = Field("", max_length=20_000)
    resolution: str = Field("", max_length=20_000, description="resolve")


class IncidentsIn(Schema):
    model_config = _STRICT
    incidents: list[str] = Field(min_length=1, max_length=500, description="Incident numbers")


class CandidateRaiseIn(Schema):
    model_config = _STRICT
    short_description: str | None = Field(None, max_length=200)
    owner_group: str | None = Field(None, description="Support group code")


class DismissIn(Schema):
    model_config = _STRICT
    reason: str = Field(max_length=500)


class LinkedIncidentOut(Schema):
    number: str
    short_description: str
    status: str
    linked_by: str | None
    linked_at: datetime


class ProblemEventOut(Schema):
    kind: str
    actor: str | None
    at: datetime
    action: str
    from_status: str
    to_status: str
    field: str
    old_value: str
    new_value: str


class ProblemOut(Schema):
    number: str
    short_description: str
    status: str
    owner_group: Ref | None
    assignee: str | None
    priority: int | None
    created_at: datetime
    updated_at: datetime
    incident_count: int | None = None
    description: str | None = None
    root_cause: str | None = None
    workaround: str | None = None
    resolution: str | None = None
    category: Ref | None = None
    service: Ref | None = None
    configuration_items: list[str] | None = None
    created_by: str | None = None
    known_error_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    known_error_article: str | None = None
    incidents: list[LinkedIncidentOut] | None = None
    allowed_actions: list[str] | None = None


class ProblemPage(Schema):
    items: list[ProblemOut]
    total: int
    next_offset: int | None


class ProblemListQuery(Schema):
    q: str | None = Field(None, max_length=200, description="Problem or incident number, or words")
    status: str | None = Field(None, description="open, or one status")
    owner_group: str | None = Field(None, description="Support group code")
    assignee: str | None = Field(None, description="Username")
    offset: int = Field(0, ge=0, le=100_000)
    limit: int = Field(50, ge=1, le=200)


class CandidateOut(Schema):
    id: int
    kind: str
    key: str
    label: str
    state: str
    count: int
    incidents: list[str]
    first_seen: datetime
    last_seen: datetime
    problem: str | None
    decided_by: str | None
    decided_at: datetime | None
    dismiss_reason: str


class CandidatePage(Schema):
    items: list[CandidateOut]
    total: int
    next_offset: int | None


class CandidateQuery(Schema):
    state: str = Field("open", description="open, raised or dismissed")
    offset: int = Field(0, ge=0, le=100_000)
    limit: int = Field(50, ge=1, le=200)


def _problem_dict(problem, *, full: bool = False, user=None) -> dict:
    data = {
        "number": problem.number, "short_description": problem.short_description,
        "status": problem.status, "owner_group": ref(problem.owner_group),
        "assignee": problem.assignee.username if problem.assignee_id else None,
        "priority": problem.priority_id, "created_at": problem.created_at,
        "updated_at": problem.updated_at,
        "incident_count": getattr(problem, "incident_count", None),
    }
    if full:
        links = selectors.problem_incidents(problem=problem)
        data.update({
            "description": problem.description, "root_cause": problem.root_cause,
            "workaround": problem.workaround, "resolution": problem.resolution,
            "category": ref(problem.category), "service": ref(problem.service),
            "configuration_items": [ci.name for ci in problem.configuration_items.all()],
            "created_by": problem.created_by.username if problem.created_by_id else None,
            "known_error_at": problem.known_error_at, "resolved_at": problem.resolved_at,
            "closed_at": problem.closed_at, "incident_count": len(links),
            "known_error_article": (problem.known_error_article.number
                                    if problem.known_error_article_id else None),
            "incidents": [_link_dict(link) for link in links],
            "allowed_actions": [str(a) for a in services.allowed_problem_actions(
                user=user, problem=problem)],
        })
    return data


def _link_dict(link) -> dict:
    incident = link.incident
    return {"number": incident.number, "short_description": incident.short_description,
            "status": incident.status_key,
            "linked_by": link.linked_by.username if link.linked_by_id else None,
            "linked_at": link.linked_at}


def _fields(payload) -> dict:
    """The payload's fields with natural keys turned into records."""
    data = payload.dict(exclude_unset=True)
    data.pop("incidents", None)
    return _resolve(data)


def _resolve(data: dict) -> dict:
    """resolve_refs, with the owner group looked up as a group code under its own name."""
    if "owner_group" in data:
        data["assignment_group"] = data.pop("owner_group")
    try:
        data = resolve_refs(data)
    except InvalidInput as error:
        if "assignment_group" in error.errors:
            error.errors["owner_group"] = error.errors.pop("assignment_group")
        raise
    if "assignment_group" in data:
        data["owner_group"] = data.pop("assignment_group")
    return data


def _incidents(request, numbers: list[str]) -> list:
    """The incidents by number, each visible to the caller (404 names the first missing)."""
    return [incident_selectors.incident_get(user=request.auth, number=n) for n in numbers]


def _get(request, number):
    return selectors.problem_get(user=request.auth, number=number)


def _detail(request, number):
    return _problem_dict(_get(request, number), full=True, user=request.auth)


def _candidate_dict(candidate, numbers: dict) -> dict:
    return {
        "id": candidate.pk, "kind": candidate.kind, "key": candidate.key,
        "label": candidate.label, "state": candidate.state, "count": candidate.count,
        "incidents": [numbers[pk].number for pk in candidate.incident_ids if pk in numbers],
        "first_seen": candidate.first_seen, "last_seen": candidate.last_seen,
        "problem": candidate.problem.number if candidate.problem_id else None,
        "decided_by": candidate.decided_by.username if candidate.decided_by_id else None,
        "decided_at": candidate.decided_at, "dismiss_reason": candidate.dismiss_reason,
    }


# ---- candidates (before /{number}, which would match "candidates") ------------------------

@router.get("/candidates", response={200: CandidatePage, **ERRORS},
            summary="Problem candidates")
def problem_candidate_list(request, query: Query[CandidateQuery]):
    """Recurring incidents flagged by the scan (incident managers and process owners)."""
    rows, total = selectors.candidate_list(user=request.auth, state=query.state,
                                           offset=query.offset, limit=query.limit)
    numbers = selectors.candidate_incidents(rows)
    more = query.offset + len(rows) < total
    return {"items": [_candidate_dict(c, numbers) for c in rows], "total": total,
            "next_offset": query.offset + len(rows) if more else None}


@router.post("/candidates/{candidate_id}/raise", response={201: ProblemOut, **ERRORS},
             summary="Raise a problem from a candidate")
def problem_candidate_raise(request, candidate_id: int, payload: CandidateRaiseIn | None = None):
    candidate = selectors.candidate_get(user=request.auth, pk=candidate_id)
    data = _fields(payload) if payload is not None else {}
    problem = services.candidate_raise(candidate=candidate, by=request.auth, data=data,
                                       channel=Channel.API)
    return Status(201, _detail(request, problem.number))


@router.post("/candidates/{candidate_id}/dismiss", response={200: CandidateOut, **ERRORS},
             summary="Dismiss a candidate")
def problem_candidate_dismiss(request, candidate_id: int, payload: DismissIn):
    candidate = selectors.candidate_get(user=request.auth, pk=candidate_id)
    candidate = services.candidate_dismiss(candidate=candidate, by=request.auth,
                                           reason=payload.reason)
    return _candidate_dict(candidate, selectors.candidate_incidents([candidate]))


# ---- problems ----------------------------------------------------------------------------

@router.get("", response={200: ProblemPage, **ERRORS}, summary="List problems")
def problem_list(request, query: Query[ProblemListQuery]):
    """Problems, newest first (support staff; anyone else gets an empty list)."""
    refs = _resolve({k: v for k, v in (("owner_group", query.owner_group),
                                       ("assignee", query.assignee)) if v})
    filters = selectors.ProblemFilters(
        q=query.q or "", status=query.status or "",
        owner_group_id=getattr(refs.get("owner_group"), "pk", None),
        assignee_id=getattr(refs.get("assignee"), "pk", None))
    rows, total = selectors.problem_list(user=request.auth, filters=filters,
                                         offset=query.offset, limit=query.limit)
    more = query.offset + len(rows) < total
    return {"items": [_problem_dict(p) for p in rows], "total": total,
            "next_offset": query.offset + len(rows) if more else None}


@router.post("", response={201: ProblemOut, **ERRORS}, summary="Raise a problem")
def problem_create(request, payload: ProblemCreateIn):
    """Raise a problem from one or many incidents in one step (support staff)."""
    incidents = _incidents(request, payload.incidents)
    data = _fields(payload)
    if not incidents and not data.get("short_description"):
        raise InvalidInput(errors={"short_description": _(
            "State the problem, or name the incidents it comes from.")})
    problem = services.problem_raise(by=request.auth, incidents=incidents, data=data,
                                     channel=Channel.API)
    return Status(201, _detail(request, problem.number))


@router.get("/{number}", response={200: ProblemOut, **ERRORS}, summary="Get a problem")
def problem_get(request, number: str):
    return _detail(request, number)


@router.patch("/{number}", response={200: ProblemOut, **ERRORS}, summary="Change a problem")
def problem_update(request, number: str, payload: ProblemUpdateIn):
    data = _fields(payload)
    if not data and "configuration_items" not in payload.model_fields_set:
        raise InvalidInput(errors={"short_description": _("Send at least one field to change.")})
    services.problem_update(problem=_get(request, number), by=request.auth, data=data,
                            channel=Channel.API)
    return _detail(request, number)


@router.post("/{number}/transitions", response={200: ProblemOut, **ERRORS},
             summary="Take a lifecycle action")
def problem_transition(request, number: str, payload: TransitionIn):
    """known_error publishes the workaround as a known-error article; resolve tells the open
    incidents linked to the problem."""
    params = payload.dict()
    action = params.pop("action")
    services.problem_transition(problem=_get(request, number), action=action, by=request.auth,
                                channel=Channel.API, **params)
    return _detail(request, number)


@router.post("/{number}/incidents", response={200: ProblemOut, **ERRORS},
             summary="Link incidents")
def problem_incidents_link(request, number: str, payload: IncidentsIn):
    problem = _get(request, number)
    services.problem_incidents_link(problem=problem, by=request.auth,
                                    incidents=_incidents(request, payload.incidents),
                                    channel=Channel.API)
    return _detail(request, number)


@router.delete("/{number}/incidents/{incident_number}", response={200: ProblemOut, **ERRORS},
               summary="Unlink an incident")
def problem_incident_unlink(request, number: str, incident_number: str):
    problem = _get(request, number)
    incident = incident_selectors.incident_get(user=request.auth, number=incident_number)
    services.problem_incident_unlink(problem=problem, by=request.auth, incident=incident,
                                     channel=Channel.API)
    return _detail(request, number)


@router.get("/{number}/history", response={200: list[ProblemEventOut], **ERRORS},
            summary="A problem's history")
def problem_history(request, number: str):
    return [{"kind": e.kind, "actor": e.actor.username if e.actor_id else None, "at": e.at,
             "action": e.action, "from_status": e.from_status, "to_status": e.to_status,
             "field": e.field, "old_value": e.old_value, "new_value": e.new_value}
            for e in selectors.problem_history(problem=_get(request, number))]
