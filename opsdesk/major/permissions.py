"""Who may do what to a major incident (the services check these; pages offer only these)."""

from opsdesk.incidents.services.relations import user_is_staff


def may_view_majors(user) -> bool:
    """The major-incident pages and API are for support staff."""
    return bool(user.is_authenticated and user.is_active and user_is_staff(user))


def may_propose(user) -> bool:
    """Anyone on the desk (support staff) may propose a candidate."""
    return may_view_majors(user)


def may_decide(user) -> bool:
    """Promote, reject and declare: the incident managers."""
    return bool(user.is_authenticated and user.is_active
                and (user.is_incident_manager or user.is_superuser))


def may_run(user, major) -> bool:
    """Post updates and link children: the named manager, the incident managers, the desk."""
    if not (user.is_authenticated and user.is_active):
        return False
    return may_decide(user) or user.is_service_desk or (
        major is not None and major.manager_id == user.pk)


def may_edit_criteria(user) -> bool:
    """The declaration rules belong to the process owner."""
    return bool(user.is_authenticated and user.is_active
                and (user.is_process_owner or user.is_superuser))
