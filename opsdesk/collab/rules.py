"""Who may do what with tasks and handovers; written in the incidents' own terms (relations)."""

from opsdesk.incidents.services.relations import (EDITORS, NOTE_WRITERS, actor_relations,
                                                   user_is_staff)

__all__ = ["user_is_staff", "may_work_incident", "may_add_collaborators", "in_task_group",
           "may_see_task", "may_work_task", "may_manage_task", "is_manager", "is_group_member"]


def is_manager(user) -> bool:
    """Incident managers (and superusers) may step in anywhere."""
    return bool(user.is_incident_manager or user.is_superuser)


def may_work_incident(*, user, incident) -> bool:
    """Staff who work the incident: desk, manager, owner, assignee, its group, collaborators."""
    if user is None or not user_is_staff(user):
        return False
    return bool(actor_relations(user=user, incident=incident) & NOTE_WRITERS)


def may_add_collaborators(*, user, incident) -> bool:
    """The same rule as incidents.people_add: the incident's editors (not its collaborators)."""
    return bool(actor_relations(user=user, incident=incident) & EDITORS)


def in_task_group(*, user, task) -> bool:
    return task.group_id in user.support_group_ids


def may_work_task(*, user, task) -> bool:
    """The task's assignee and its group's members work it; managers may step in."""
    return bool(user.is_active and (task.assignee_id == user.pk or is_manager(user)
                                    or in_task_group(user=user, task=task)))


def may_manage_task(*, user, task) -> bool:
    """Those who asked for the task (the incident's workers, its creator) edit or cancel it."""
    return bool(user.is_active and (task.created_by_id == user.pk or is_manager(user)
                                    or may_work_incident(user=user, incident=task.incident)))


def may_see_task(*, user, task, incident_visible: bool) -> bool:
    """Support staff who see the incident, and the people the task is for."""
    if not user.is_active:
        return False
    if task.assignee_id == user.pk or in_task_group(user=user, task=task):
        return True
    return incident_visible and user_is_staff(user)


def is_group_member(*, user, group_id) -> bool:
    return group_id in user.support_group_ids

