"""Reads of incidents: lookups, filtered lists with keyset pagination, timelines."""

import base64
import binascii
import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from opsdesk.core.exceptions import InvalidInput, NotFound

from .choices import Visibility
from .models import Attachment, Comment, Incident, IncidentEvent
from .related import CACHED_RELATIONS, LINKS, PEOPLE, incidents_attach_related
from .services.relations import user_is_staff


# Every relation a listed incident carries (attached without joins, see related.py).
LIST_RELATED = (*CACHED_RELATIONS, *PEOPLE, *LINKS)

# sort name -> ordering fields; id is always last so the order is total (needed by keysets).
SORTS = {
    "-registered_at": ("-id",),
    "registered_at": ("id",),
    "-updated_at": ("-updated_at", "-id"),
    "updated_at": ("updated_at", "id"),
    "priority": ("priority_id", "-id"),
    "-priority": ("-priority_id", "-id"),
    "status": ("status", "-id"),
    "-status": ("-status", "-id"),
}
# Sort columns holding datetimes (cursor values are ISO strings); every other one is an integer.
DATETIME_COLUMNS = frozenset({"updated_at", "registered_at"})


@dataclass
class IncidentFilters:
    """What a list may be narrowed by; empty values mean no filter."""

    statuses: list[int] = field(default_factory=list)
    priorities: list[int] = field(default_factory=list)
    group_ids: list[int] = field(default_factory=list)
    assignee_id: int | None = None
    unassigned: bool = False
    owner_id: int | None = None
    requester_id: int | None = None
    category_path: str = ""
    service_id: int | None = None
    source_code: str = ""
    nature_code: str = ""
    created_after: datetime | None = None
    created_before: datetime | None = None
    updated_after: datetime | None = None
    updated_before: datetime | None = None
    text: str = ""
    reopened: bool = False  # reopened (rejected or reopened) at least once
    stale_hours: int | None = None  # no update for this many hours, counted from the query
    # More conditions, all of which must hold (the measures' parameters, see filters.py).
    conditions: list[Q] = field(default_factory=list)


def incident_get(*, user, number: str) -> Incident:
    """The incident with this number if user may see it; NotFound otherwise (no leak of existence)."""
    incident = Incident.objects.restrict(user).filter(number=number).first()
    if incident is None:
        raise NotFound(_("Incident %(number)s was not found.") % {"number": number})
    return incidents_attach_related([incident])[0]


def incident_visible(*, user, number: str) -> bool:
    """Whether user may see the incident with this number."""
    return Incident.objects.restrict(user).filter(number=number).exists()


def incident_get_unrestricted(*, number: str) -> Incident:
    """The incident by number for a caller that was just permitted to act on it."""
    return incidents_attach_related([Incident.objects.get(number=number)])[0]


def incident_list(*, user, filters: IncidentFilters, sort: str = "-registered_at",
                  cursor: str = "", limit: int = 50) -> tuple[list[Incident], str]:
    """One page of incidents user may see; returns (rows, next_cursor or "")."""
    ordering = SORTS.get(sort)
    if ordering is None:
        raise InvalidInput(errors={"sort": _("Sort by one of: %(choices)s.") % {
            "choices": ", ".join(SORTS)}})
    if limit < 1:
        raise InvalidInput(errors={"limit": _("Ask for at least one row.")})
    qs = _filtered(_visible(user, filters), filters)
    if cursor:
        qs = qs.filter(_after_cursor(ordering, _decode_cursor(cursor, ordering)))
    rows = list(qs.order_by(*ordering)[: limit + 1])
    next_cursor = _encode_cursor(rows[limit - 1], ordering) if len(rows) > limit else ""
    return incidents_attach_related(rows[:limit]), next_cursor


def _visible(user, filters: IncidentFilters) -> QuerySet:
    """restrict(user), skipped when the filter itself only selects incidents user may see.

    "My incidents" (requester = me), "assigned to me" and my own groups' queues are always
    visible to me; adding restrict()'s OR to them only makes PostgreSQL read every row of the
    OR to sort them.
    """
    if not (user.is_authenticated and user.is_active):
        return Incident.objects.none()
    own_groups = bool(filters.group_ids) and set(filters.group_ids) <= user.support_group_ids
    if user.pk in (filters.requester_id, filters.assignee_id) or own_groups:
        return Incident.objects.all()
    return Incident.objects.restrict(user)


def incident_count(*, user, filters: IncidentFilters) -> int:
    """How many incidents match (for queue counters)."""
    return _filtered(_visible(user, filters), filters).count()


def _filtered(qs: QuerySet, f: IncidentFilters) -> QuerySet:
    conditions = {
        "status__in": f.statuses, "priority_id__in": f.priorities,
        "assignment_group_id__in": f.group_ids, "assignee_id": f.assignee_id,
        "owner_id": f.owner_id, "requester_id": f.requester_id, "service_id": f.service_id,
        "source_id": f.source_code, "nature_id": f.nature_code,
        "registered_at__gte": f.created_after, "registered_at__lt": f.created_before,
        "updated_at__gte": f.updated_after, "updated_at__lt": f.updated_before,
    }
    qs = qs.filter(**{k: v for k, v in conditions.items() if v not in (None, "", [])})
    if f.unassigned:
        qs = qs.filter(assignment_group__isnull=True, assignee__isnull=True)
    if f.reopened:
        qs = qs.filter(reopen_count__gt=0)
    if f.stale_hours:
        qs = qs.filter(updated_at__lt=timezone.now() - timedelta(hours=f.stale_hours))
    if f.category_path:
        qs = qs.filter(Q(category__path=f.category_path)
                       | Q(category__path__startswith=f.category_path + "."))
    if f.text:
        qs = qs.filter(_text_q(f.text.strip()))
    for condition in f.conditions:
        qs = qs.filter(condition)
    return qs


# A whole incident number: a letter prefix (INC, SR, PRB … editable per nature), the date and the
# daily serial. Anything else is searched as words, even if it starts with "INC" or ends in digits.
NUMBER_RE = re.compile(r"^[A-Z]{2,8}\d{12}$")


def _text_q(text: str) -> Q:
    """A number matches exactly; words through the search index (opsdesk/search/README.md)."""
    from opsdesk.search.models import IncidentDocument
    from opsdesk.search.selectors import matching_q

    if NUMBER_RE.match(text.upper()):
        return Q(number=text.upper())
    # A frequent word (打印机) reads faster as text in the list's order than through the index.
    words = Q(short_description__icontains=text) | Q(description__icontains=text)
    return matching_q(IncidentDocument, text, dense_q=words) or words


def _after_cursor(ordering: tuple[str, ...], values: list) -> Q:
    """Rows strictly after the cursor row in this ordering: (a, b) > (x, y) spelt out as ORs."""
    q = Q()
    for i, name in enumerate(ordering):
        column = name.lstrip("-")
        op = "lt" if name.startswith("-") else "gt"
        step = Q(**{f"{column}__{op}": values[i]})
        for prev_name, prev_value in zip(ordering[:i], values[:i], strict=False):
            step &= Q(**{prev_name.lstrip("-"): prev_value})
        q |= step
    return q


def _encode_cursor(row: Incident, ordering: tuple[str, ...]) -> str:
    values = []
    for name in ordering:
        value = getattr(row, name.lstrip("-"))
        values.append(value.isoformat() if isinstance(value, datetime) else value)
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str, ordering: tuple[str, ...]) -> list:
    """The cursor's values, each checked against its column; anything else is InvalidInput."""
    invalid = InvalidInput(errors={"cursor": _("This cursor is not valid for this sort order; "
                                               "start again from the first page.")})
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise invalid from None
    if not isinstance(values, list) or len(values) != len(ordering):
        raise invalid
    decoded = []
    for name, value in zip(ordering, values, strict=True):
        if name.lstrip("-") in DATETIME_COLUMNS:
            try:
                moment = parse_datetime(value) if isinstance(value, str) else None
            except ValueError:
                moment = None
            if moment is None or timezone.is_naive(moment):
                raise invalid
            decoded.append(moment)
        elif isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**63:
            decoded.append(value)
        else:
            raise invalid
    return decoded


def incident_comments(*, user, incident: Incident) -> list[Comment]:
    """Comments user may read: requesters never see internal work notes."""
    qs = incident.comments.select_related("author")
    if not user_is_staff(user):
        qs = qs.filter(visibility=Visibility.PUBLIC)
    return list(qs)


def incident_attachments(*, user, incident: Incident) -> list[Attachment]:
    """Attachments user may download."""
    qs = incident.attachments.select_related("uploaded_by")
    if not user_is_staff(user):
        qs = qs.filter(visibility=Visibility.PUBLIC)
    return list(qs)


def incident_children(*, user, incident: Incident, limit: int = 50) -> list[Incident]:
    """Incidents linked to this one as their parent (e.g. reports of one outage), that user
    may see, newest first."""
    return list(Incident.objects.restrict(user).filter(parent=incident)
                .only("id", "number", "short_description", "status").order_by("-id")[:limit])


def incident_attachment_get(*, user, incident: Incident, attachment_id: int) -> Attachment:
    """One attachment user may download (same rule as the list), else NotFound."""
    qs = incident.attachments.filter(pk=attachment_id)
    if not user_is_staff(user):
        qs = qs.filter(visibility=Visibility.PUBLIC)
    attachment = qs.first()
    if attachment is None:
        raise NotFound(_("Attachment %(id)s was not found.") % {"id": attachment_id})
    return attachment


def incident_history(*, user, incident: Incident) -> list[IncidentEvent]:
    """The timeline user may read, oldest first; internal entries are hidden from requesters."""
    qs = incident.events.select_related("actor")
    if not user_is_staff(user):
        qs = qs.filter(is_internal=False)
    return list(qs)


# --- Similar open incidents (the desk's "is this already logged?" hint) ---------------------

SIMILAR_CANDIDATES = 50  # rows scored in Python; the newest matching ones are the likely ones
SIMILAR_WORDS = 8
# Runs of Chinese characters (compared as pairs of characters), or other letters and digits.
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_WORD_RE = re.compile(rf"[{_CJK}]+|[^\W{_CJK}_]+")
_CJK_RE = re.compile(rf"[{_CJK}]")
STOP_WORDS = frozenset({
    "the", "and", "for", "with", "from", "this", "that", "not", "does", "doesn", "can", "cannot",
    "don", "have", "has", "are", "was", "were", "but", "all", "any", "our", "its", "again",
    "无法", "不能", "问题", "没有", "一下", "可以", "出现",
})


def similarity_words(text: str) -> list[str]:
    """The telling words of a short description, longest first (Chinese as character pairs)."""
    words = []
    for token in _WORD_RE.findall(text.casefold()):
        if _CJK_RE.match(token):
            words.extend(token[i:i + 2] for i in range(max(len(token) - 1, 1)))
        elif len(token) >= 3:
            words.append(token)
    unique = dict.fromkeys(w for w in words if w not in STOP_WORDS)
    return sorted(unique, key=len, reverse=True)[:SIMILAR_WORDS]


def incident_similar(*, user, text: str = "", service_id: int | None = None,
                     category_id: int | None = None, ci_ids: list[int] | tuple = (),
                     limit: int = 5) -> list[Incident]:
    """Open incidents user may see sharing the service, a CI, the category or words; best first."""
    from .choices import OPEN_STATUSES

    words = similarity_words(text)
    ci_incident_ids = _open_incident_ids_with_cis(ci_ids)
    conditions = [Q(short_description__icontains=w) for w in words]
    if service_id:
        conditions.append(Q(service_id=service_id))
    if category_id:
        conditions.append(Q(category_id=category_id))
    if ci_incident_ids:
        conditions.append(Q(pk__in=ci_incident_ids))
    if not conditions or limit < 1:
        return []
    match = conditions.pop()
    for condition in conditions:
        match |= condition
    qs = Incident.objects.restrict(user).filter(match, status__in=OPEN_STATUSES)
    candidates = list(qs.order_by("-id")[:SIMILAR_CANDIDATES])

    def score(row: Incident) -> int:
        described = row.short_description.casefold()
        return (4 * (service_id is not None and row.service_id == service_id)
                + 3 * (row.pk in ci_incident_ids)
                + 2 * (category_id is not None and row.category_id == category_id)
                + sum(w in described for w in words))

    best = sorted(candidates, key=lambda row: (-score(row), -row.pk))[:limit]
    return incidents_attach_related(best)


def _open_incident_ids_with_cis(ci_ids) -> set[int]:
    from .choices import OPEN_STATUSES

    if not ci_ids:
        return set()
    through = Incident.configuration_items.through
    return set(through.objects.filter(configurationitem_id__in=list(ci_ids),
                                      incident__status__in=OPEN_STATUSES)
               .order_by("-incident_id").values_list("incident_id", flat=True)
               [:SIMILAR_CANDIDATES])
