"""Who may see and work problems: the one place that says so (pages, API and services use it)."""

from opsdesk.incidents.services.relations import user_is_staff


def _active(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def may_view_problems(user) -> bool:
    """Support staff read problems; plain users never learn that one exists (404)."""
    return _active(user) and user_is_staff(user)


def may_raise_problem(user) -> bool:
    """The desk, engineers, incident managers and process owners raise problems."""
    return may_view_problems(user)


def may_manage_problems(user) -> bool:
    """Incident managers and process owners work every problem and triage candidates."""
    return _active(user) and bool(user.is_superuser or user.is_incident_manager
                                  or user.is_process_owner)


def may_work_problem(user, problem) -> bool:
    """Managers and process owners, and the engineers of the problem's owner group."""
    if may_manage_problems(user):
        return True
    return (_active(user) and user.is_engineer and problem.owner_group_id is not None
            and problem.owner_group_id in user.support_group_ids)


def may_link_incidents(user, problem) -> bool:
    """Whoever may raise a problem may add an incident to an open one; workers may remove."""
    return may_raise_problem(user)
