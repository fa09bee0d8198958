"""Tasks on an incident for other groups: create, change, assign, start, complete, cancel, reopen.

Every change locks the incident's row first, then the task's: the same order as
incident_transition, whose guard (tasks_guard) reads the open mandatory tasks under that lock,
so a task can never be reopened or made mandatory while the incident is being resolved.
"""

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from opsdesk.accounts.models import SupportGroup
from opsdesk.core.exceptions import Conflict, InvalidInput, NotPermitted
from opsdesk.core.services import text_clean
from opsdesk.incidents import events
from opsdesk.incidents.choices import FINAL_STATUSES, Action, Channel
from opsdesk.incidents.models import Incident

from .. import notify, rules
from ..models import OPEN_TASK_STATUSES, IncidentTask, TaskStatus

TITLE_MAX = 200
EDITABLE = ("title", "description", "due_at", "mandatory", "group", "assignee")


class TaskAction:
    START, COMPLETE, CANCEL, REOPEN = "start", "complete", "cancel", "reopen"
    ALL = (START, COMPLETE, CANCEL, REOPEN)


# action: (from statuses, to status)
TASK_TRANSITIONS = {
    TaskAction.START: ((TaskStatus.OPEN,), TaskStatus.IN_PROGRESS),
    TaskAction.COMPLETE: (OPEN_TASK_STATUSES, TaskStatus.DONE),
    TaskAction.CANCEL: (OPEN_TASK_STATUSES, TaskStatus.CANCELLED),
    TaskAction.REOPEN: ((TaskStatus.DONE, TaskStatus.CANCELLED), TaskStatus.OPEN),
}


def task_create(*, incident: Incident, by, data: dict, channel: str = Channel.WEB) -> IncidentTask:
    """Ask a group (and optionally one of its members) for a piece of work on the incident.

    data: title, description, group, assignee, due_at, mandatory. The staff who work the
    incident may create tasks; the group (or the assignee) is mailed."""
    with transaction.atomic():
        incident = _incident_locked(incident.pk)
        if not rules.may_work_incident(user=by, incident=incident):
            raise NotPermitted(_("Only the support staff working on this incident may add tasks."))
        if incident.status in FINAL_STATUSES:
            raise Conflict(_("This incident is finished: tasks can no longer be added."))
        values = _clean(data, creating=True)
        position = (IncidentTask.objects.filter(incident=incident)
                    .aggregate(last=Max("position"))["last"] or 0) + 1
        task = IncidentTask.objects.create(incident=incident, created_by=by, position=position,
                                           **values)
        event = _history(task=task, by=by, channel=channel, old="", new=_summary(task))
        notify.notify_task_assigned(task=task, by=by, event_key=f"e{event.pk}")
    return task


def task_update(*, task: IncidentTask, by, data: dict, channel: str = Channel.WEB) -> IncidentTask:
    """Change a task's text, due time, mandatory flag, group or assignee.

    Those who asked for it change anything; the task's group only picks its assignee."""
    unknown = set(data) - set(EDITABLE)
    if unknown:
        raise InvalidInput(errors={f: _("This field cannot be changed here.") for f in unknown})
    with transaction.atomic():
        task = _task_locked(task)
        manages = rules.may_manage_task(user=by, task=task)
        assigns_only = set(data) <= {"assignee"} and rules.may_work_task(user=by, task=task)
        if not (manages or assigns_only):
            raise NotPermitted(_("You may not change this task."))
        if not task.is_open:
            raise Conflict(_("This task is finished: reopen it before changing it."))
        values = _clean({**_current(task), **data}, creating=False)
        old_summary, old_who = _summary(task), (task.group_id, task.assignee_id)
        changed = [f for f in EDITABLE if getattr(task, f) != values[f]]
        if not changed:
            return task
        for field in changed:
            setattr(task, field, values[field])
        task.save(update_fields=[*changed, "updated_at"])
        event = _history(task=task, by=by, channel=channel, old=old_summary, new=_summary(task))
        if (task.group_id, task.assignee_id) != old_who:
            notify.notify_task_assigned(task=task, by=by, event_key=f"e{event.pk}")
    return task


def task_transition(*, task: IncidentTask, action: str, by, note: str = "",
                    channel: str = Channel.WEB) -> IncidentTask:
    """start, complete, cancel or reopen a task.

    The task's group and assignee start and complete it (starting an unassigned task takes
    it); those who asked for it cancel it (with a reason); either reopens it while the
    incident is not finished."""
    if action not in TASK_TRANSITIONS:
        raise InvalidInput(errors={"action": _("Choose one of: %(actions)s.") % {
            "actions": ", ".join(TaskAction.ALL)}})
    sources, target = TASK_TRANSITIONS[action]
    note = text_clean(note)
    with transaction.atomic():
        task = _task_locked(task)
        _check_transition(task=task, action=action, by=by, note=note)
        if task.status not in sources:
            raise Conflict(_("A task that is %(status)s cannot be given the action "
                             "“%(action)s”.") % {"status": task.get_status_display().lower(),
                                                 "action": action})
        old_summary = _summary(task)
        _apply(task=task, action=action, target=target, by=by, note=note)
        _history(task=task, by=by, channel=channel, old=old_summary, new=_summary(task),
                 note=note)
    return task


def tasks_guard(*, incident, action, by, params) -> None:
    """incidents hook: no resolving or closing by a person while a mandatory task is open.

    The system (by=None) is not stopped: a master resolving its children, or an auto-close,
    must not fail because of a child's task; the tasks stay open after a system resolve, and
    tasks_after_transition cancels what is left when the incident is closed or cancelled."""
    if by is None or action not in (Action.RESOLVE, Action.CLOSE):
        return
    waiting = list(IncidentTask.objects.filter(
        incident_id=incident.pk, mandatory=True, status__in=OPEN_TASK_STATUSES,
    ).select_related("group").order_by("position", "id")[:10])
    if waiting:
        names = ", ".join(f"“{t.title}” ({t.group.name})" for t in waiting)
        raise Conflict(_("Mandatory tasks are still open: %(tasks)s. Complete or cancel them "
                         "first.") % {"tasks": names})


def tasks_after_transition(*, incident, action, by, channel, from_status, event) -> None:
    """incidents hook: a closed or cancelled incident leaves no task open."""
    if incident.status not in FINAL_STATUSES:
        return
    note = _("The incident was %(status)s.") % {"status": incident.get_status_display().lower()}
    # Lock first, then read with the related rows: PostgreSQL refuses FOR UPDATE on the
    # nullable side of the assignee's outer join.
    ids = list(IncidentTask.objects.select_for_update().filter(
        incident_id=incident.pk, status__in=OPEN_TASK_STATUSES).values_list("pk", flat=True))
    for task in IncidentTask.objects.filter(pk__in=ids).select_related("group", "assignee"):
        task.incident = incident
        old_summary = _summary(task)
        _apply(task=task, action=TaskAction.CANCEL, target=TaskStatus.CANCELLED, by=None,
               note=note)
        _history(task=task, by=None, channel=Channel.SYSTEM, old=old_summary,
                 new=_summary(task), note=note)


def _check_transition(*, task, action, by, note) -> None:
    if action in (TaskAction.START, TaskAction.COMPLETE):
        allowed = rules.may_work_task(user=by, task=task)
    elif action == TaskAction.CANCEL:
        allowed = rules.may_manage_task(user=by, task=task)
    else:
        allowed = rules.may_manage_task(user=by, task=task) or rules.may_work_task(
            user=by, task=task)
    if not allowed:
        raise NotPermitted(_("You may not %(action)s this task.") % {"action": action})
    if action == TaskAction.CANCEL and not note:
        raise InvalidInput(errors={"note": _("Give a reason.")})
    if action == TaskAction.REOPEN and task.incident.status in FINAL_STATUSES:
        raise Conflict(_("This incident is finished: its tasks can no longer be reopened."))


def _apply(*, task, action, target, by, note) -> None:
    now = timezone.now()
    fields = ["status", "updated_at"]
    if action == TaskAction.START:
        task.started_at = now
        fields.append("started_at")
        if task.assignee_id is None and by is not None and rules.in_task_group(user=by,
                                                                               task=task):
            task.assignee = by
            fields.append("assignee")
    elif action in (TaskAction.COMPLETE, TaskAction.CANCEL):
        task.completed_by, task.completed_at, task.note = by, now, note
        fields += ["completed_by", "completed_at", "note"]
    else:
        task.completed_by, task.completed_at, task.note = None, None, ""
        fields += ["completed_by", "completed_at", "note"]
    task.status = target
    task.save(update_fields=fields)


def _clean(data: dict, *, creating: bool) -> dict:
    """Checked values of every editable field; InvalidInput names each wrong one."""
    errors = {}
    title = text_clean(data.get("title"))
    if not title:
        errors["title"] = _("Say what should be done.")
    elif len(title) > TITLE_MAX:
        errors["title"] = _("Use at most %(n)d characters.") % {"n": TITLE_MAX}
    group, assignee, due_at = data.get("group"), data.get("assignee"), data.get("due_at")
    if not isinstance(group, SupportGroup):
        errors["group"] = _("Choose the group that should do it.")
    elif not group.is_active and creating:
        errors["group"] = _("This group is no longer active.")
    elif assignee is not None and not group.members.filter(pk=assignee.pk,
                                                           is_active=True).exists():
        errors["assignee"] = _("%(user)s is not a member of %(group)s.") % {
            "user": assignee, "group": group}
    if due_at is not None and timezone.is_naive(due_at):
        due_at = timezone.make_aware(due_at)
    if due_at is not None and creating and due_at <= timezone.now():
        errors["due_at"] = _("Choose a due time in the future.")
    if errors:
        raise InvalidInput(errors=errors)
    return {"title": title, "description": text_clean(data.get("description")),
            "group": group, "assignee": assignee, "due_at": due_at,
            "mandatory": bool(data.get("mandatory"))}


def _current(task) -> dict:
    return {f: getattr(task, f) for f in EDITABLE}


def _incident_locked(pk) -> Incident:
    return Incident.objects.select_for_update().get(pk=pk)


def _task_locked(task) -> IncidentTask:
    incident = _incident_locked(task.incident_id)
    IncidentTask.objects.select_for_update().filter(pk=task.pk).values_list("pk").get()
    locked = IncidentTask.objects.select_related("group", "assignee").get(pk=task.pk)
    locked.incident = incident
    return locked


def _summary(task) -> str:
    """How the task reads in the incident's history: title, who, status, mandatory.

    In the site's language, like the display texts of every other history entry."""
    with translation.override(settings.LANGUAGE_CODE):
        return _summary_text(task)


def _summary_text(task) -> str:
    who = " / ".join(p for p in (task.group.code, getattr(task.assignee, "username", "")) if p)
    parts = [f"#{task.position} {task.title}", who, str(task.get_status_display())]
    if task.mandatory:
        parts.append(str(_("mandatory")))
    return " · ".join(parts)


def _history(*, task, by, channel, old: str, new: str, note: str = ""):
    """One internal history entry on the incident (field "task": old → new)."""
    if note:
        new = f"{new} — {note}"
    return events.event_field_changed(incident=task.incident, by=by, channel=channel,
                                      field="task", old=old, new=new, internal=True)
