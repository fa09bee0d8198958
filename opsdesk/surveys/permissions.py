"""Who may do what with surveys (services check these; pages and the API offer only these)."""

from opsdesk.core.admin_site import can_manage_reference


def _active(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def may_configure_surveys(user) -> bool:
    """The settings and questions: process owners (and administrators, like every setting)."""
    return _active(user) and can_manage_reference(user)


def may_view_results(user) -> bool:
    """The responses and their follow-ups: process owners and incident managers."""
    return _active(user) and bool(user.is_process_owner or user.is_incident_manager
                                  or user.is_superuser)


def may_follow_up(user) -> bool:
    """Take and close a low score's follow-up: the incident managers."""
    return _active(user) and bool(user.is_incident_manager or user.is_superuser)
