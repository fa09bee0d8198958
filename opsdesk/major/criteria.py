"""The process owner's declaration rules, and their evaluation on an incident.

Rules are evaluated when an incident is created and after its transitions (hooks.py), and
after "affects me too" raised its impact (affected.py). The strongest match wins: a rule that
declares beats one that proposes. An incident that already has a major record (even a
rejected one) is left alone: people decided about it, a rule does not overrule them.
"""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from opsdesk.core import lookups
from opsdesk.core.exceptions import InvalidInput, NotPermitted
from opsdesk.incidents.choices import OPEN_STATUSES
from opsdesk.incidents.models import Incident

from .models import MajorCriteria, MajorIncident, RuleAction, RuleKind
from .permissions import may_edit_criteria

DEFAULT_CADENCE = {1: 30, 2: 60}  # minutes by priority, when no rule names one
FALLBACK_CADENCE = 60


def criteria_list(*, active_only: bool = False) -> list[MajorCriteria]:
    """The rules in their order."""
    rows = MajorCriteria.objects.select_related("priority", "impact", "service")
    return list(rows.filter(is_active=True) if active_only else rows)


def criteria_active_cached() -> list[MajorCriteria]:
    """The active rules in their order, from the in-process lookups (core/lookups.py): every
    create and transition evaluates them, so they are not read each time. A rule saved or
    deleted in this process is seen at once (apps.py forgets the table); one changed in another
    process within the lookups' TTL. criteria_evaluate acts on a match only after reading the
    rules again from the table, so a stale rule never declares anything."""
    rows = lookups.rows_by_pk(MajorCriteria).values()
    return sorted((r for r in rows if r.is_active), key=lambda r: (r.sort_order, r.pk))


def criteria_forget(**_kwargs) -> None:
    """Receiver: the rules changed in this process."""
    lookups.forget(MajorCriteria)


def cadence_for(incident: Incident) -> int:
    """The update cadence for a major on this incident: the priority rule that matches it."""
    for rule in MajorCriteria.objects.filter(kind=RuleKind.PRIORITY, is_active=True,
                                             priority_id__gte=incident.priority_id):
        return rule.cadence_minutes
    return DEFAULT_CADENCE.get(incident.priority_id, FALLBACK_CADENCE)


def _matches(rule: MajorCriteria, incident: Incident, now) -> Incident | None:
    """The incident that should be the master when the rule matches, else None."""
    if rule.kind == RuleKind.PRIORITY:
        return incident if rule.priority_id and incident.priority_id <= rule.priority_id else None
    if rule.kind == RuleKind.IMPACT:
        if rule.service_id and rule.service_id != incident.service_id:
            return None
        return incident if rule.impact_id and incident.impact_id <= rule.impact_id else None
    if rule.kind == RuleKind.CLUSTER and incident.service_id and rule.count:
        since = now - timedelta(minutes=rule.window_minutes or 60)
        recent = list(Incident.objects.filter(
            service_id=incident.service_id, registered_at__gte=since, parent__isnull=True,
            status__in=OPEN_STATUSES).order_by("registered_at", "pk")
            .values_list("pk", flat=True)[:rule.count])
        if len(recent) >= rule.count:  # the first report of the cluster is the master
            return incident if recent[0] == incident.pk else Incident.objects.get(pk=recent[0])
    return None


def criteria_evaluate(*, incident: Incident, rules: list[MajorCriteria] | None = None,
                      kinds=(RuleKind.PRIORITY, RuleKind.IMPACT, RuleKind.CLUSTER)) -> None:
    """Propose or declare a major incident when an active rule matches (the system acts)."""
    if incident.parent_id is not None or incident.status not in OPEN_STATUSES:
        return
    cached = rules is None
    rules = [r for r in (criteria_active_cached() if cached else rules)
             if r.kind in kinds and r.action != RuleAction.NONE]
    if not rules:
        return
    now = timezone.now()
    found = [(rule, master) for rule in rules if (master := _matches(rule, incident, now))]
    if not found:
        return
    if cached:  # act only on the rules as the table holds them now
        criteria_evaluate(incident=incident, rules=criteria_list(active_only=True), kinds=kinds)
        return
    rule, master = next(((r, m) for r, m in found if r.action == RuleAction.DECLARE), found[0])
    criteria_apply(incident=master, rule=rule)


def criteria_apply(*, incident: Incident, rule: MajorCriteria, reason: str = "") -> None:
    """Do what the rule says to the incident, unless people already decided about it."""
    from .services import major_declare, major_propose

    existing = MajorIncident.objects.filter(incident=incident).first()
    if existing is not None and not (existing.state == "candidate"
                                     and rule.action == RuleAction.DECLARE):
        return
    reason = reason or _("Rule: %(rule)s") % {"rule": rule_describe(rule)}
    if rule.action == RuleAction.DECLARE:
        major_declare(incident=incident, by=None, reason=reason, rule=rule,
                      cadence_minutes=rule.cadence_minutes, channel="system")
    else:
        major_propose(incident=incident, by=None, reason=reason, rule=rule, channel="system")


def rule_describe(rule: MajorCriteria) -> str:
    """The rule as a sentence, for the proposal reason and the settings page."""
    if rule.kind == RuleKind.PRIORITY:
        return _("priority P%(level)s or higher") % {"level": rule.priority_id}
    if rule.kind == RuleKind.IMPACT:
        text = _("impact %(level)s or wider") % {"level": rule.impact_id}
        return text + (_(" on %(service)s") % {"service": rule.service} if rule.service_id
                       else "")
    if rule.kind == RuleKind.CLUSTER:
        return _("%(count)s incidents on one service within %(minutes)s minutes") % {
            "count": rule.count, "minutes": rule.window_minutes}
    return _("%(count)s people affected") % {"count": rule.count}


RULE_FIELDS = ("kind", "action", "priority", "impact", "service", "count", "window_minutes",
               "cadence_minutes", "is_active")


def criteria_replace(*, by, rules: list[dict]) -> list[MajorCriteria]:
    """Replace the whole rule set (the process owner's settings page and PUT /criteria).

    Each dict has RULE_FIELDS (priority/impact/service as model rows or None). Validated as a
    whole before anything is written; errors are keyed `rules.<n>.<field>`.
    """
    if not may_edit_criteria(by):
        raise NotPermitted(_("Only a process owner may change the major-incident rules."))
    errors = {}
    for n, data in enumerate(rules):
        for field, message in _rule_errors(data).items():
            errors[f"rules.{n}.{field}"] = message
    if errors:
        raise InvalidInput(errors=errors)
    with transaction.atomic():
        MajorCriteria.objects.all().delete()
        return [MajorCriteria.objects.create(sort_order=n, **{
            f: data.get(f) for f in RULE_FIELDS if data.get(f) is not None})
            for n, data in enumerate(rules)]


def _rule_errors(data: dict) -> dict:
    kind, errors = data.get("kind"), {}
    if kind not in RuleKind.values:
        return {"kind": _("Choose a kind of rule.")}
    if data.get("action", RuleAction.PROPOSE) not in RuleAction.values:
        errors["action"] = _("Choose propose, declare or only raise the impact.")
    if kind == RuleKind.PRIORITY and data.get("priority") is None:
        errors["priority"] = _("Choose the priority.")
    if kind == RuleKind.IMPACT and data.get("impact") is None:
        errors["impact"] = _("Choose the impact.")
    if kind in (RuleKind.CLUSTER, RuleKind.AFFECTED) and not (data.get("count") or 0) >= 2:
        errors["count"] = _("Give a count of at least 2.")
    if kind == RuleKind.CLUSTER and not 1 <= (data.get("window_minutes") or 0) <= 7 * 24 * 60:
        errors["window_minutes"] = _("Give a window between 1 minute and 7 days.")
    if kind == RuleKind.AFFECTED and data.get("action") == RuleAction.NONE and data.get(
            "impact") is None:
        errors["impact"] = _("Choose the impact this count raises the incident to.")
    if kind != RuleKind.AFFECTED and data.get("action") == RuleAction.NONE:
        errors["action"] = _("Only an \"affected\" rule may just raise the impact.")
    if not 5 <= (data.get("cadence_minutes") or 30) <= 24 * 60:
        errors["cadence_minutes"] = _("Give a cadence between 5 minutes and 24 hours.")
    return errors
