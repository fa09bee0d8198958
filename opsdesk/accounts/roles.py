"""The roles of SPEC §1. Every signed-in person is a user; the rest are granted."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    USER = "user", _("User")
    DESK = "desk", _("Service-desk agent")
    ENGINEER = "engineer", _("Support engineer")
    MANAGER = "manager", _("Incident manager")
    PROCESS_OWNER = "process_owner", _("Process owner")
    ADMIN = "admin", _("Administrator")


# Roles stored as flags on User; "user" is implicit for every active account.
ROLE_FIELDS = {
    Role.DESK: "is_service_desk",
    Role.ENGINEER: "is_engineer",
    Role.MANAGER: "is_incident_manager",
    Role.PROCESS_OWNER: "is_process_owner",
    Role.ADMIN: "is_administrator",
}

# Roles that see every incident (SPEC §1: the desk and the managers see all).
SEE_ALL_ROLES = (Role.DESK, Role.MANAGER, Role.PROCESS_OWNER, Role.ADMIN)
