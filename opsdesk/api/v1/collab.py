"""REST API: collaboration. Tasks on incidents (`incidents/{number}/tasks`, `tasks`), shift
handovers (`handovers`) and the caller's @mentions (`mentions`). Mounted at /api/v1/."""

from datetime import date, datetime

from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import ConfigDict, Field

from opsdesk.collab import selectors, services
from opsdesk.collab.models import TaskStatus
from opsdesk.core.exceptions import InvalidInput, NotPermitted
from opsdesk.incidents import selectors as incident_selectors
from opsdesk.incidents.choices import Channel
from opsdesk.incidents.refs import resolve_refs

from .schemas import ERRORS, Ref, ref

router = Router()
_STRICT = ConfigDict(extra="forbid")


# ---- schemas ------------------------------------------------------------------------------

class TaskIn(Schema):
    model_config = _STRICT

    title: str = Field(max_length=200)
    group: str = Field(description="Support group code")
    assignee: str | None = Field(None, description="Username, a member of the group")
    due_at: datetime | None = None
    mandatory: bool = Field(False, description="The incident cannot be resolved or closed "
                                               "while this task is open")
    description: str = Field("", max_length=10000)


class TaskPatchIn(Schema):
    model_config = _STRICT

    title: str | None = Field(None, max_length=200)
    group: str | None = None
    assignee: str | None = Field(None, description="Username; empty string: nobody")
    due_at: datetime | None = None
    mandatory: bool | None = None
    description: str | None = Field(None, max_length=10000)


class TaskActionIn(Schema):
    model_config = _STRICT

    note: str = Field("", max_length=2000, description="Required to cancel")


class TaskOut(Schema):
    id: int
    incident: str = Field(description="Incident number")
    position: int
    title: str
    description: str
    group: Ref
    assignee: Ref | None
    due_at: datetime | None
    overdue: bool
    status: str = Field(description="open, in_progress, done, cancelled")
    mandatory: bool
    created_by: Ref | None
    created_at: datetime
    started_at: datetime | None
    completed_by: Ref | None
    completed_at: datetime | None
    note: str


class TaskPage(Schema):
    items: list[TaskOut]
    has_more: bool


class TaskQuery(Schema):
    mine: bool = Field(False, description="Only tasks given to me or to my groups")
    status: list[str] = Field([], description="open, in_progress, done, cancelled "
                                              "(default: open and in_progress)")
    incident: str | None = Field(None, description="Incident number")
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=100000)


class HandoverItemIn(Schema):
    model_config = _STRICT

    incident: str = Field(description="Incident number")
    note: str = Field("", max_length=2000)


class HandoverIn(Schema):
    model_config = _STRICT

    shift_date: date
    shift_label: str = Field(max_length=60)
    from_group: str = Field(description="Support group code of the outgoing shift")
    to_group: str = Field(description="Support group code of the incoming shift")
    to_label: str = Field("", max_length=60)
    summary: str = Field(max_length=20000)
    items: list[HandoverItemIn] = Field([], max_length=200)


class HandoverItemOut(Schema):
    incident: str
    short_description: str | None = Field(description="Null when the reader may not see it")
    note: str


class HandoverOut(Schema):
    id: int
    shift_date: date
    shift_label: str
    from_group: Ref
    to_group: Ref
    to_label: str
    written_by: Ref
    summary: str
    created_at: datetime
    acknowledged_by: Ref | None
    acknowledged_at: datetime | None
    items: list[HandoverItemOut] | None = None


class HandoverPage(Schema):
    items: list[HandoverOut]
    has_more: bool


class PageQuery(Schema):
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=100000)


class MentionOut(Schema):
    incident: str
    comment_id: int
    author: Ref | None
    body: str
    visibility: str
    notified: bool
    created_at: datetime


# ---- tasks --------------------------------------------------------------------------------

@router.get("incidents/{number}/tasks", response={200: list[TaskOut], **ERRORS},
            summary="List an incident's tasks")
def task_list_for_incident(request, number: str):
    """The incident's tasks in order (support staff only)."""
    incident = incident_selectors.incident_get(user=request.auth, number=number)
    _staff(request.auth)
    return [task_dict(t) for t in selectors.incident_tasks(user=request.auth, incident=incident)]


@router.post("incidents/{number}/tasks", response={201: TaskOut, **ERRORS},
             summary="Add a task for a group")
def task_create(request, number: str, payload: TaskIn):
    incident = incident_selectors.incident_get(user=request.auth, number=number)
    task = services.task_create(incident=incident, by=request.auth, channel=Channel.API,
                                data=_task_refs(payload.dict()))
    return Status(201, task_dict(selectors.task_get(user=request.auth, pk=task.pk)))


@router.get("tasks", response={200: TaskPage, **ERRORS}, summary="List tasks")
def task_list(request, query: Query[TaskQuery]):
    """Open tasks the caller may see, overdue first; `mine=1`: given to me or my groups."""
    unknown = set(query.status) - set(TaskStatus.values)
    if unknown:
        raise InvalidInput(errors={"status": _("Choose from: %(choices)s.") % {
            "choices": ", ".join(TaskStatus.values)}})
    incident = incident_selectors.incident_get(user=request.auth, number=query.incident) \
        if query.incident else None
    rows, more = selectors.task_list(user=request.auth, limit=query.limit, offset=query.offset,
                                     filters=selectors.TaskFilters(
                                         mine=query.mine, status=tuple(query.status),
                                         incident=incident))
    return {"items": [task_dict(t) for t in rows], "has_more": more}


@router.get("tasks/{task_id}", response={200: TaskOut, **ERRORS}, summary="Get a task")
def task_get(request, task_id: int):
    return task_dict(selectors.task_get(user=request.auth, pk=task_id))


@router.patch("tasks/{task_id}", response={200: TaskOut, **ERRORS}, summary="Change a task")
def task_patch(request, task_id: int, payload: TaskPatchIn):
    """Change the text, due time, mandatory flag, group or assignee (send only what changes)."""
    task = selectors.task_get(user=request.auth, pk=task_id)
    data = payload.dict(exclude_unset=True)
    if not data:
        raise InvalidInput(errors={"body": _("Send at least one field to change.")})
    if data.get("assignee") == "":
        data["assignee"] = None
    services.task_update(task=task, by=request.auth, data=_task_refs(data), channel=Channel.API)
    return task_dict(selectors.task_get(user=request.auth, pk=task_id))


@router.post("tasks/{task_id}/actions/{action}", response={200: TaskOut, **ERRORS},
             summary="start, complete, cancel or reopen a task")
def task_action(request, task_id: int, action: str, payload: TaskActionIn | None = None):
    task = selectors.task_get(user=request.auth, pk=task_id)
    services.task_transition(task=task, action=action, by=request.auth,
                             note=(payload or TaskActionIn()).note, channel=Channel.API)
    return task_dict(selectors.task_get(user=request.auth, pk=task_id))


def task_dict(task) -> dict:
    return {
        "id": task.pk, "incident": task.incident.number, "position": task.position,
        "title": task.title, "description": task.description, "group": ref(task.group),
        "assignee": ref(task.assignee), "due_at": task.due_at, "overdue": task.is_overdue,
        "status": task.status, "mandatory": task.mandatory, "created_by": ref(task.created_by),
        "created_at": task.created_at, "started_at": task.started_at,
        "completed_by": ref(task.completed_by), "completed_at": task.completed_at,
        "note": task.note,
    }


def _task_refs(data: dict) -> dict:
    """Group code and username → records; the errors keep the API's field names."""
    refs = {}
    if "group" in data:
        refs["assignment_group"] = data.pop("group")
    if "assignee" in data:
        refs["assignee"] = data.pop("assignee")
    try:
        resolved = resolve_refs(refs)
    except InvalidInput as error:
        raise InvalidInput(errors={("group" if k == "assignment_group" else k): v
                                   for k, v in error.errors.items()}) from None
    if "assignment_group" in resolved:
        data["group"] = resolved["assignment_group"]
    if "assignee" in resolved:
        data["assignee"] = resolved["assignee"]
    return data


def _staff(user) -> None:
    if not selectors.rules.user_is_staff(user):
        raise NotPermitted(_("Only support staff see an incident's tasks."))


# ---- handovers ----------------------------------------------------------------------------

@router.get("handovers", response={200: HandoverPage, **ERRORS}, summary="List handovers")
def handover_list(request, query: Query[PageQuery]):
    """Shift handovers the caller may read (staff), newest first."""
    rows, more = selectors.handover_list(user=request.auth, limit=query.limit,
                                         offset=query.offset)
    return {"items": [handover_dict(h) for h in rows], "has_more": more}


@router.post("handovers", response={201: HandoverOut, **ERRORS}, summary="Write a handover")
def handover_create(request, payload: HandoverIn):
    data = payload.dict()
    groups = {}
    for field in ("from_group", "to_group"):
        try:
            groups[field] = resolve_refs({"assignment_group": data[field]})["assignment_group"]
        except InvalidInput as error:
            raise InvalidInput(errors={field: error.errors["assignment_group"]}) from None
    numbers = [item["incident"] for item in data["items"]]
    found = selectors.incidents_by_number(user=request.auth, numbers=numbers)
    missing = [n for n in numbers if n not in found]
    if missing:
        raise InvalidInput(errors={"items": _("Incident %(numbers)s was not found.") % {
            "numbers": ", ".join(missing)}})
    items = [{"incident": found[i["incident"]], "note": i["note"]} for i in data["items"]]
    handover = services.handover_create(by=request.auth, data={**data, **groups,
                                                               "items": items})
    return Status(201, handover_dict(selectors.handover_get(user=request.auth, pk=handover.pk),
                                     with_items=True))


@router.get("handovers/{handover_id}", response={200: HandoverOut, **ERRORS},
            summary="Get a handover")
def handover_get(request, handover_id: int):
    return handover_dict(selectors.handover_get(user=request.auth, pk=handover_id),
                         with_items=True)


@router.post("handovers/{handover_id}/acknowledge", response={200: HandoverOut, **ERRORS},
             summary="Acknowledge a handover (the incoming shift)")
def handover_acknowledge(request, handover_id: int):
    handover = selectors.handover_get(user=request.auth, pk=handover_id)
    services.handover_acknowledge(handover=handover, by=request.auth)
    return handover_dict(selectors.handover_get(user=request.auth, pk=handover_id),
                         with_items=True)


def handover_dict(handover, *, with_items: bool = False) -> dict:
    out = {
        "id": handover.pk, "shift_date": handover.shift_date,
        "shift_label": handover.shift_label, "from_group": ref(handover.from_group),
        "to_group": ref(handover.to_group), "to_label": handover.to_label,
        "written_by": ref(handover.written_by), "summary": handover.summary,
        "created_at": handover.created_at, "acknowledged_by": ref(handover.acknowledged_by),
        "acknowledged_at": handover.acknowledged_at, "items": None,
    }
    if with_items:
        out["items"] = [{"incident": i.incident.number, "note": i.note,
                         "short_description": i.incident.short_description if i.visible
                         else None} for i in handover.item_list]
    return out


# ---- mentions -----------------------------------------------------------------------------

@router.get("mentions", response={200: list[MentionOut], **ERRORS},
            summary="Where I was mentioned")
def mention_list(request, limit: int = Query(50, ge=1, le=200)):
    """The caller's latest @mentions, on incidents they still see, newest first."""
    return [{"incident": m.comment.incident.number, "comment_id": m.comment_id,
             "author": ref(m.comment.author), "body": m.comment.body,
             "visibility": m.comment.visibility, "notified": m.notified,
             "created_at": m.created_at}
            for m in selectors.mention_list(user=request.auth, limit=limit)]
