"""Finding recurring incidents: the reads behind the candidate scan (no writes here).

The incidents looked at are faults (nature 01) logged in the rule's window, not cancelled, and
linked to no problem yet. A group is flagged when it holds more than the rule's threshold:
- same category, same service, or same configuration item (one GROUP BY query each, then one
  query for the members of the groups found);
- similar text: each of the newest incidents (at most TEXT_SEEDS) is searched for among the
  others with the search index (every word of its short description must match); a match
  joins the first group that found it;
- and every incident of the window resolved with a workaround is a candidate of its own.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count

from opsdesk.cmdb.models import ConfigurationItem, Service
from opsdesk.core import lookups
from opsdesk.incidents.choices import Status
from opsdesk.incidents.models import Incident
from opsdesk.reference.models import Category
from opsdesk.search.models import IncidentDocument
from opsdesk.search.selectors import ranked_ids

from .choices import CandidateKind

FAULT_NATURE = "01"
TEXT_SEEDS = 200
TEXT_MATCHES = 50


@dataclass
class Detected:
    """One group found: what recurs and when each of its incidents was logged."""

    kind: str
    key: str
    label: str
    seen: dict[int, datetime] = field(default_factory=dict)  # incident id -> registered_at


def window_incidents(*, start: datetime, end: datetime):
    """The incidents a scan looks at (served by the index on registered_at)."""
    return (Incident.objects.filter(registered_at__gte=start, registered_at__lte=end,
                                    nature_id=FAULT_NATURE, related_problem="")
            .exclude(status=Status.CANCELLED).exclude(problem_links__isnull=False))


def candidates_detect(*, rule, now: datetime) -> list[Detected]:
    """Every group of recurring incidents the rule flags now."""
    base = window_incidents(start=now - timedelta(days=rule.window_days), end=now)
    found = []
    if rule.by_category:
        found += _by_column(base, "category_id", CandidateKind.CATEGORY, rule.threshold,
                            lambda pk: _label(Category, pk, "path"))
    if rule.by_service:
        found += _by_column(base, "service_id", CandidateKind.SERVICE, rule.threshold,
                            lambda pk: _label(Service, pk, "code"))
    if rule.by_ci:
        found += _by_ci(base, rule.threshold)
    if rule.by_text:
        found += _by_text(base, rule.threshold)
    if rule.by_workaround:
        found += _worked_around(base)
    return found


def _label(model, pk, attr) -> str:
    row = lookups.lookup(model, pk)
    return f"{getattr(row, attr)} {row.name}" if row is not None else str(pk)


def _by_column(base, column: str, kind: str, threshold: int, label) -> list[Detected]:
    keys = list(base.exclude(**{column: None}).values(column).annotate(n=Count("id"))
                .filter(n__gt=threshold).values_list(column, flat=True))
    if not keys:
        return []
    groups = {key: Detected(kind, str(key), label(key)) for key in keys}
    for key, pk, at in base.filter(**{f"{column}__in": keys}).values_list(column, "id",
                                                                            "registered_at"):
        groups[key].seen[pk] = at
    return list(groups.values())


def _by_ci(base, threshold: int) -> list[Detected]:
    through = Incident.configuration_items.through.objects.filter(incident__in=base)
    keys = list(through.values("configurationitem_id").annotate(n=Count("incident_id"))
                .filter(n__gt=threshold).values_list("configurationitem_id", flat=True))
    if not keys:
        return []
    names = dict(ConfigurationItem.objects.filter(pk__in=keys).values_list("pk", "name"))
    groups = {key: Detected(CandidateKind.CI, str(key), names.get(key, str(key)))
              for key in keys}
    rows = through.filter(configurationitem_id__in=keys).values_list(
        "configurationitem_id", "incident_id", "incident__registered_at")
    for key, pk, at in rows:
        groups[key].seen[pk] = at
    return list(groups.values())


def _by_text(base, threshold: int) -> list[Detected]:
    seeds = list(base.order_by("-registered_at", "-id")
                 .values_list("id", "short_description", "registered_at")[:TEXT_SEEDS])
    times = {pk: at for pk, _text, at in seeds}
    grouped, found = set(), []
    for pk, text, _at in seeds:
        if pk in grouped:
            continue
        matches = {m for m, _rank in ranked_ids(base, IncidentDocument, text,
                                                limit=TEXT_MATCHES, prefix_last=False)}
        members = (matches | {pk}) - grouped
        if len(members) <= threshold:
            continue
        missing = members - times.keys()
        if missing:
            times.update(base.filter(pk__in=missing).values_list("id", "registered_at"))
        grouped |= members
        oldest = min(members)
        found.append(Detected(CandidateKind.TEXT, str(oldest), text[:200],
                              {m: times[m] for m in members if m in times}))
    return found


def _worked_around(base) -> list[Detected]:
    rows = base.filter(is_workaround=True, status__in=(Status.RESOLVED, Status.CLOSED)
                       ).values_list("id", "number", "short_description", "registered_at")
    return [Detected(CandidateKind.WORKAROUND, str(pk), f"{number} {text}"[:200], {pk: at})
            for pk, number, text, at in rows]
