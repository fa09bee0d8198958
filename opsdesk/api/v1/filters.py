"""Turns list query parameters (codes, usernames, `me`) into selector filters."""

from django.utils.translation import gettext as _

from opsdesk.accounts.models import SupportGroup, User
from opsdesk.cmdb.models import Service
from opsdesk.core.exceptions import InvalidInput
from opsdesk.incidents.choices import ACTIVE_STATUSES, OPEN_STATUSES, STATUS_BY_KEY
from opsdesk.incidents.selectors import IncidentFilters

STATUS_GROUPS = {"open": OPEN_STATUSES, "active": ACTIVE_STATUSES}


def filters_from_query(*, query, user) -> IncidentFilters:
    """Validate and resolve list parameters; unknown names give a 422 naming the parameter."""
    errors: dict[str, str] = {}
    f = IncidentFilters(
        statuses=_statuses(query.status, errors),
        priorities=list(query.priority),
        group_ids=_ids(SupportGroup, "code", _split(query.group), "group", errors),
        requester_id=_user_id(query.requester, user, "requester", errors),
        owner_id=_user_id(query.owner, user, "owner", errors),
        category_path=(query.category or "").strip(),
        service_id=_one_id(Service, "code", query.service, "service", errors),
        source_code=query.source or "", nature_code=query.nature or "",
        created_after=query.created_after, created_before=query.created_before,
        updated_after=query.updated_after, updated_before=query.updated_before,
        text=(query.q or "").strip(),
    )
    if (query.assignee or "").lower() == "none":
        f.unassigned = True
    else:
        f.assignee_id = _user_id(query.assignee, user, "assignee", errors)
    if errors:
        raise InvalidInput(errors=errors)
    return f


def _split(values: list[str]) -> list[str]:
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def _statuses(values, errors) -> list[int]:
    statuses = []
    for key in _split(values):
        if key in STATUS_GROUPS:
            statuses.extend(STATUS_GROUPS[key])
        elif key in STATUS_BY_KEY:
            statuses.append(STATUS_BY_KEY[key])
        else:
            errors["status"] = _("Unknown status “%(key)s”. Use one of: %(choices)s.") % {
                "key": key, "choices": ", ".join([*STATUS_BY_KEY, *STATUS_GROUPS])}
    return statuses


def _ids(model, field, keys, name, errors) -> list[int]:
    if not keys:
        return []
    found = dict(model.objects.filter(**{f"{field}__in": keys}).values_list(field, "id"))
    missing = [k for k in keys if k not in found]
    if missing:
        errors[name] = _("Unknown %(name)s: %(keys)s.") % {"name": name, "keys": ", ".join(missing)}
    return list(found.values())


def _one_id(model, field, key, name, errors) -> int | None:
    ids = _ids(model, field, [key] if key else [], name, errors)
    return ids[0] if ids else None


def _user_id(key, user, name, errors) -> int | None:
    if not key:
        return None
    if key == "me":
        return user.pk
    return _one_id(User, "username", key, name, errors)
