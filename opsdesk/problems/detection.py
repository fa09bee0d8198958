"""Finding recurring incidents: the reads behind the candidate scan (no writes here).

The incidents looked at are faults (nature 01) logged in the rule's window, not cancelled, and
linked to no problem yet. A group is flagged when it holds more than the rule's threshold:
- same category, same service, or same configuration item (one GROUP BY query each, then one
  query for the members of the groups found);
- similar text: the short descriptions of the newest incidents (at most TEXT_SEEDS) turned
  into the search index's terms; those sharing most terms with a newer one join its group;
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
from opsdesk.search.text import document_terms

from .choices import CandidateKind

FAULT_NATURE = "01"
TEXT_SEEDS = 500  # the newest incidents of the window compared by text
TEXT_SIMILARITY = 0.5  # Dice coefficient of two statements' terms


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
    """Groups of incidents whose statements share most of their terms.

    The terms are the search index's own (opsdesk.search.text: Chinese bigrams, English
    stems, stop words dropped), compared in memory with the Dice coefficient, so the result is
    the same on every database. An inverted index keeps it to the pairs sharing a term.
    """
    rows = list(base.order_by("-registered_at", "-id")
                .values_list("id", "short_description", "registered_at")[:TEXT_SEEDS])
    terms = {pk: set(document_terms(text)) for pk, text, _at in rows}
    postings: dict[str, set[int]] = {}
    for pk, words in terms.items():
        for word in words:
            postings.setdefault(word, set()).add(pk)
    grouped, found = set(), []
    for pk, text, _at in rows:  # newest first: a group is seeded by its latest incident
        if pk in grouped or not terms[pk]:
            continue
        near = set().union(*(postings[w] for w in terms[pk])) - grouped
        members = {m for m in near if _dice(terms[pk], terms[m]) >= TEXT_SIMILARITY}
        if len(members) <= threshold:
            continue
        grouped |= members
        times = {m: at for m, _text, at in rows if m in members}
        found.append(Detected(CandidateKind.TEXT, str(min(members)), text[:200], times))
    return found


def _dice(a: set, b: set) -> float:
    return 2 * len(a & b) / (len(a) + len(b)) if a or b else 0.0


def _worked_around(base) -> list[Detected]:
    rows = base.filter(is_workaround=True, status__in=(Status.RESOLVED, Status.CLOSED)
                       ).values_list("id", "number", "short_description", "registered_at")
    return [Detected(CandidateKind.WORKAROUND, str(pk), f"{number} {text}"[:200], {pk: at})
            for pk, number, text, at in rows]
