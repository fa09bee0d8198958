"""REST API: post-incident reviews of major incidents (support staff only; others get 404)."""

from datetime import date, datetime

from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import ConfigDict, Field

from opsdesk.core.exceptions import InvalidInput, NotFound
from opsdesk.reviews import exports, selectors, services

from .schemas import ERRORS

router = Router()
_STRICT = ConfigDict(extra="forbid")


class ReviewUpdateIn(Schema):
    """The fields authors write; status, people and times of the workflow are the system's."""

    model_config = _STRICT

    summary: str | None = Field(None, max_length=20_000)
    impact: str | None = Field(None, max_length=20_000, description="Who, what, how long")
    impact_started_at: datetime | None = None
    impact_ended_at: datetime | None = None
    affected_services: str | None = Field(None, max_length=1000)
    affected_services_count: int | None = Field(None, ge=0, le=10_000_000)
    affected_users_count: int | None = Field(None, ge=0, le=10_000_000)
    affected_departments_count: int | None = Field(None, ge=0, le=10_000_000)
    root_cause: str | None = Field(None, max_length=20_000)
    problem_reference: str | None = Field(None, max_length=40, description="PRB number")
    lessons_learned: str | None = Field(None, max_length=20_000)
    authors: list[str] | None = Field(None, description="Usernames of the authors")


class LineIn(Schema):
    model_config = _STRICT
    at: datetime
    text: str = Field(min_length=1, max_length=2000)


class ReviewActionIn(Schema):
    model_config = _STRICT
    text: str = Field(min_length=1, max_length=2000)
    owner: str = Field(description="Username of the person who owns the action")
    due_on: date


class DoneIn(Schema):
    model_config = _STRICT
    done: bool = True


class ReturnIn(Schema):
    model_config = _STRICT
    reason: str = Field(min_length=1, max_length=1000)


class LineOut(Schema):
    id: int
    at: datetime
    text: str
    source: str


class ActionOut(Schema):
    id: int
    text: str
    owner: str
    due_on: date | None
    status: str
    done_at: datetime | None
    done_by: str | None


class ReviewOut(Schema):
    incident: str
    short_description: str
    status: str
    summary: str
    impact: str
    impact_started_at: datetime | None
    impact_ended_at: datetime | None
    affected_services: str
    affected_services_count: int
    affected_users_count: int
    affected_departments_count: int
    root_cause: str
    problem_reference: str
    lessons_learned: str
    authors: list[str]
    created_by: str | None
    created_at: datetime
    updated_at: datetime
    submitted_by: str | None
    submitted_at: datetime | None
    approved_by: str | None
    approved_at: datetime | None
    return_reason: str
    timeline: list[LineOut]
    actions: list[ActionOut]


class ReviewRowOut(Schema):
    incident: str
    short_description: str
    status: str
    updated_at: datetime
    approved_at: datetime | None


class ReviewListQuery(Schema):
    status: str | None = Field(None, description="draft, submitted or approved")
    limit: int = Field(50, ge=1, le=200)


def _username(user) -> str | None:
    return user.username if user is not None else None


def _action_dict(action) -> dict:
    return {"id": action.pk, "text": action.text, "owner": action.owner.username,
            "due_on": action.due_on, "status": action.status, "done_at": action.done_at,
            "done_by": _username(action.done_by)}


def _review_dict(review) -> dict:
    doc = exports.review_document(review)
    fields = {f: getattr(review, f) for f in services.EDITABLE}
    return {
        **fields, "incident": review.incident.number,
        "short_description": review.incident.short_description, "status": review.status,
        "authors": [a.username for a in doc.authors], "created_by": _username(review.created_by),
        "created_at": review.created_at, "updated_at": review.updated_at,
        "submitted_by": _username(review.submitted_by), "submitted_at": review.submitted_at,
        "approved_by": _username(review.approved_by), "approved_at": review.approved_at,
        "return_reason": review.return_reason,
        "timeline": [{"id": e.pk, "at": e.at, "text": e.text, "source": e.source}
                     for e in doc.timeline],
        "actions": [_action_dict(a) for a in doc.actions]}


def _get(request, number):
    return selectors.review_get(user=request.auth, number=number)


def _fresh(request, number) -> dict:
    return _review_dict(_get(request, number))


@router.get("", response={200: list[ReviewRowOut], **ERRORS}, summary="List reviews")
def review_list(request, query: Query[ReviewListQuery]):
    """Reviews of the incidents the caller sees, newest first (support staff)."""
    rows = selectors.review_list(user=request.auth, status=query.status or "",
                                 limit=query.limit)
    return [{"incident": r.incident.number, "short_description": r.incident.short_description,
             "status": r.status, "updated_at": r.updated_at, "approved_at": r.approved_at}
            for r in rows]


@router.get("/{number}", response={200: ReviewOut, **ERRORS}, summary="Get a review")
def review_get(request, number: str):
    """The review of the major incident whose master is `number`."""
    return _fresh(request, number)


@router.post("/{number}", response={201: ReviewOut, **ERRORS}, summary="Start a review")
def review_create(request, number: str):
    """Start the review of a declared major incident, prefilled (impact, timeline)."""
    incident = selectors.review_incident_get(user=request.auth, number=number)
    services.review_create(incident=incident, by=request.auth)
    return Status(201, _fresh(request, number))


@router.patch("/{number}", response={200: ReviewOut, **ERRORS}, summary="Change a review")
def review_update(request, number: str, payload: ReviewUpdateIn):
    """Change the fields sent (a draft only)."""
    data = payload.dict(exclude_unset=True)
    if not data:
        raise InvalidInput(errors={"body": _("Send at least one field to change.")})
    if "authors" in data:
        data["authors"] = services.users_by_username("authors", data["authors"])
    for field in ("summary", "impact", "affected_services", "root_cause", "problem_reference",
                  "lessons_learned"):
        if field in data and data[field] is None:
            data[field] = ""
    for field in ("affected_services_count", "affected_users_count",
                  "affected_departments_count"):
        if field in data and data[field] is None:
            raise InvalidInput(errors={field: _("Give a whole number.")})
    services.review_update(review=_get(request, number), by=request.auth, data=data)
    return _fresh(request, number)


@router.post("/{number}/submit", response={200: ReviewOut, **ERRORS},
             summary="Submit a review for approval")
def review_submit(request, number: str):
    services.review_submit(review=_get(request, number), by=request.auth)
    return _fresh(request, number)


@router.post("/{number}/approve", response={200: ReviewOut, **ERRORS},
             summary="Approve a review")
def review_approve(request, number: str):
    """An incident manager or a process owner (not the submitter); the master may then close."""
    services.review_approve(review=_get(request, number), by=request.auth)
    return _fresh(request, number)


@router.post("/{number}/return", response={200: ReviewOut, **ERRORS},
             summary="Return a review to its authors")
def review_return(request, number: str, payload: ReturnIn):
    services.review_return(review=_get(request, number), by=request.auth,
                           reason=payload.reason)
    return _fresh(request, number)


@router.post("/{number}/timeline", response={201: LineOut, **ERRORS},
             summary="Add a timeline line")
def review_line_add(request, number: str, payload: LineIn):
    entry = services.timeline_entry_add(review=_get(request, number), by=request.auth,
                                        at=payload.at, text=payload.text)
    return Status(201, {"id": entry.pk, "at": entry.at, "text": entry.text,
                        "source": entry.source})


@router.post("/{number}/timeline/refresh", response={200: ReviewOut, **ERRORS},
             summary="Add what was recorded since the last generated line")
def review_timeline_refresh(request, number: str):
    services.review_timeline_refresh(review=_get(request, number), by=request.auth)
    return _fresh(request, number)


def _line(review, line_id: int):
    entry = review.timeline.filter(pk=line_id).first()
    if entry is None:
        raise NotFound(_("The review has no timeline line %(id)d.") % {"id": line_id})
    return entry


@router.patch("/{number}/timeline/{line_id}", response={200: LineOut, **ERRORS},
              summary="Correct a timeline line")
def review_line_update(request, number: str, line_id: int, payload: LineIn):
    entry = services.timeline_entry_update(entry=_line(_get(request, number), line_id),
                                           by=request.auth, at=payload.at, text=payload.text)
    return {"id": entry.pk, "at": entry.at, "text": entry.text, "source": entry.source}


@router.delete("/{number}/timeline/{line_id}", response={204: None, **ERRORS},
               summary="Remove a timeline line")
def review_line_remove(request, number: str, line_id: int):
    services.timeline_entry_remove(entry=_line(_get(request, number), line_id), by=request.auth)
    return Status(204, None)


def _action(review, action_id: int):
    action = review.actions.select_related("owner", "done_by").filter(pk=action_id).first()
    if action is None:
        raise NotFound(_("The review has no action %(id)d.") % {"id": action_id})
    return action


@router.post("/{number}/actions", response={201: ActionOut, **ERRORS},
             summary="Add an action")
def review_action_add(request, number: str, payload: ReviewActionIn):
    owner = services.users_by_username("owner", [payload.owner])[0]
    action = services.review_action_add(review=_get(request, number), by=request.auth,
                                        text=payload.text, owner=owner, due_on=payload.due_on)
    return Status(201, _action_dict(action))


@router.put("/{number}/actions/{action_id}", response={200: ActionOut, **ERRORS},
            summary="Change an action")
def review_action_update(request, number: str, action_id: int, payload: ReviewActionIn):
    owner = services.users_by_username("owner", [payload.owner])[0]
    action = services.review_action_update(
        action=_action(_get(request, number), action_id), by=request.auth, text=payload.text,
        owner=owner, due_on=payload.due_on)
    return _action_dict(action)


@router.post("/{number}/actions/{action_id}/done", response={200: ActionOut, **ERRORS},
             summary="Mark an action done (or open again)")
def review_action_done(request, number: str, action_id: int, payload: DoneIn | None = None):
    action = services.review_action_done(action=_action(_get(request, number), action_id),
                                         by=request.auth, done=(payload or DoneIn()).done)
    return _action_dict(_action(action.review, action.pk))


@router.delete("/{number}/actions/{action_id}", response={204: None, **ERRORS},
               summary="Remove an action")
def review_action_remove(request, number: str, action_id: int):
    services.review_action_remove(action=_action(_get(request, number), action_id),
                                  by=request.auth)
    return Status(204, None)


def _download(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@router.get("/{number}/export.md", response={200: None, **ERRORS},
            summary="The review as Markdown")
def review_export_markdown(request, number: str):
    review = _get(request, number)
    return _download(exports.review_markdown(review).encode(), "text/markdown; charset=utf-8",
                     exports.review_filename(review, "md"))


@router.get("/{number}/export.pdf", response={200: None, **ERRORS},
            summary="The review as PDF")
def review_export_pdf(request, number: str):
    review = _get(request, number)
    return _download(exports.review_pdf(review), "application/pdf",
                     exports.review_filename(review, "pdf"))
