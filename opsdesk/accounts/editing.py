"""Changes made on the settings and profile pages: support groups and personal preferences.

Every service checks all fields before it writes and raises InvalidInput with a message per
field, so a refused change leaves nothing half-saved. Groups are deactivated, never deleted.
"""

import re
import zoneinfo
from functools import lru_cache

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from opsdesk.core.exceptions import InvalidInput

from .models import SupportGroup, User

CODE_RE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
GROUP_FIELDS = ["name_zh", "name_en", "line", "email", "manager", "escalation_group"]


@lru_cache(maxsize=1)
def time_zone_names() -> frozenset[str]:
    """Every zoneinfo name this system knows."""
    return frozenset(zoneinfo.available_timezones())


@transaction.atomic
def support_group_create(*, code: str, data: dict, members=()) -> SupportGroup:
    """Add a support group with its members; the code is its stable key and must be new."""
    code = code.strip()
    errors = {}
    if not CODE_RE.match(code):
        errors["code"] = _("Use 1 to 32 letters, digits, hyphens or underscores.")
    elif SupportGroup.objects.filter(code__iexact=code).exists():
        errors["code"] = _("A group with this code exists already.")
    group = SupportGroup(code=code, **{f: data[f] for f in GROUP_FIELDS if f in data})
    errors.update(_group_errors(group))
    if errors:
        raise InvalidInput(errors=errors)
    group.save()
    group.members.set(members)
    return group


@transaction.atomic
def support_group_update(*, group: SupportGroup, data: dict, members=None) -> SupportGroup:
    """Change a group's names, line, escalation group, manager and (if given) its members."""
    group = SupportGroup.objects.select_for_update().get(pk=group.pk)
    for field in GROUP_FIELDS:
        if field in data:
            setattr(group, field, data[field])
    errors = _group_errors(group)
    if errors:
        raise InvalidInput(errors=errors)
    group.save()
    if members is not None:
        group.members.set(members)
    return group


def _group_errors(group: SupportGroup) -> dict:
    errors = {}
    group.name_zh, group.name_en = (group.name_zh or "").strip(), (group.name_en or "").strip()
    if not group.name_zh:
        errors["name_zh"] = _("Enter the Chinese name.")
    if not group.name_en:
        errors["name_en"] = _("Enter the English name.")
    target = group.escalation_group
    if target is not None:
        if group.pk is not None and target.pk == group.pk:
            errors["escalation_group"] = _("A group cannot escalate to itself.")
        elif target.line <= group.line:
            errors["escalation_group"] = _(
                "Escalation goes to a higher line: choose a group above line %(line)s.") % {
                "line": group.line}
        elif not target.is_active:
            errors["escalation_group"] = _("This group is inactive: choose an active group.")
    return errors


def support_group_set_active(*, group: SupportGroup, active: bool) -> bool:
    """Deactivate (or activate again) a group; it is kept for the incidents it worked on."""
    if group.is_active == active:
        return False
    group.is_active = active
    group.save(update_fields=["is_active", "updated_at"])
    return True


def user_preferences_update(*, user: User, time_zone: str, language: str) -> list[str]:
    """Set a person's time zone (blank: the site's) and language (blank: the browser's)."""
    errors = {}
    time_zone, language = time_zone.strip(), language.strip()
    if time_zone and time_zone not in time_zone_names():
        errors["time_zone"] = _("Choose a time zone from the list.")
    if language and language not in dict(settings.LANGUAGES):
        errors["language"] = _("Choose a language from the list.")
    if errors:
        raise InvalidInput(errors=errors)
    changed = [f for f, v in (("time_zone", time_zone), ("language", language))
               if getattr(user, f) != v]
    user.time_zone, user.language = time_zone, language
    if changed:
        user.save(update_fields=changed)
    return changed
