"""Problem candidates: the periodic scan that flags recurring incidents, and the manager's
decision on each (raise a problem from it, or dismiss it with a reason)."""

from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from opsdesk.core.admin_site import can_manage_reference
from opsdesk.core.exceptions import Conflict, InvalidInput, NotPermitted
from opsdesk.core.services import text_clean
from opsdesk.incidents.choices import Channel
from opsdesk.incidents.models import Incident

from ..choices import CandidateKind, CandidateState
from ..detection import Detected, candidates_detect
from ..models import CandidateRule, Problem, ProblemCandidate
from ..permissions import may_manage_problems
from .records import problem_raise

RULE_PK = 1
SCAN_EVERY = timedelta(minutes=10)
RULE_FIELDS = ("is_active", "threshold", "window_days", "by_category", "by_service", "by_ci",
               "by_text", "by_workaround")


@dataclass
class ScanReport:
    created: int = 0
    updated: int = 0
    skipped: bool = False


def candidate_rule_get() -> CandidateRule:
    """The one rule row (created with the defaults the first time)."""
    rule, _created = CandidateRule.objects.get_or_create(pk=RULE_PK)
    return rule


def candidate_rule_update(*, by, data: dict) -> CandidateRule:
    """Change the scan's settings (process owners and administrators)."""
    if not can_manage_reference(by):
        raise NotPermitted(_("Only a process owner may change the problem candidate rule."))
    errors = {}
    if "threshold" in data and not 1 <= int(data["threshold"]) <= 1000:
        errors["threshold"] = _("Use a number from 1 to 1000.")
    if "window_days" in data and not 1 <= int(data["window_days"]) <= 365:
        errors["window_days"] = _("Use a number of days from 1 to 365.")
    if errors:
        raise InvalidInput(errors=errors)
    candidate_rule_get()
    with transaction.atomic():
        rule = CandidateRule.objects.select_for_update().get(pk=RULE_PK)
        for name in RULE_FIELDS:
            if name in data:
                setattr(rule, name, data[name])
        rule.updated_by = by
        rule.save()
    return rule


def candidates_scan(*, now=None, force: bool = False) -> ScanReport:
    """Flag recurring incidents; idempotent, and one scan at a time.

    The rule's row is locked for the scan, so two workers never scan at once; without `force`
    a scan within SCAN_EVERY of the last one does nothing (the periodic loop asks every 30 s).
    One open candidate per kind and key (the unique `open_key`): a second scan adds the new
    incidents to it. Incidents already in a raised or dismissed candidate of the same key are
    left out, so a dismissed group comes back only when it recurs again past the threshold.
    """
    now = now or timezone.now()
    candidate_rule_get()
    with transaction.atomic():
        rule = CandidateRule.objects.select_for_update().get(pk=RULE_PK)
        recent = rule.last_scan_at and timedelta(0) <= now - rule.last_scan_at < SCAN_EVERY
        if not rule.is_active or (recent and not force):
            return ScanReport(skipped=True)
        report = _store(candidates_detect(rule=rule, now=now), threshold=rule.threshold)
        rule.last_scan_at = now
        rule.save(update_fields=["last_scan_at"])
    return report


def _store(found: list[Detected], *, threshold: int) -> ScanReport:
    report = ScanReport()
    decided = _decided_ids(found)
    open_rows = {row.open_key: row for row in ProblemCandidate.objects.select_for_update()
                 .filter(state=CandidateState.OPEN)}
    for group in found:
        seen = {pk: at for pk, at in group.seen.items()
                if pk not in decided.get((group.kind, group.key), ())}
        minimum = 1 if group.kind == CandidateKind.WORKAROUND else threshold + 1
        if len(seen) < minimum:
            continue
        row = open_rows.get(f"{group.kind}:{group.key}") or _overlapping(open_rows, group)
        if row is None:
            row = _create(group, seen)
            open_rows[row.open_key] = row
            report.created += 1
        elif _merge(row, seen):
            report.updated += 1
    return report


def _decided_ids(found: list[Detected]) -> dict[tuple, set[int]]:
    decided: dict[tuple, set[int]] = {}
    keys = {g.key for g in found}
    rows = (ProblemCandidate.objects.filter(key__in=keys, open_key=None)
            .values_list("kind", "key", "incident_ids"))
    for kind, key, ids in rows:
        decided.setdefault((kind, key), set()).update(ids)
    return decided


def _overlapping(open_rows: dict, group: Detected) -> ProblemCandidate | None:
    """Similar-text groups are keyed by their oldest incident: when it leaves the window, the
    open candidate that shares incidents with the group is still the same one."""
    if group.kind != CandidateKind.TEXT:
        return None
    return next((row for row in open_rows.values() if row.kind == CandidateKind.TEXT
                 and set(row.incident_ids) & group.seen.keys()), None)


def _create(group: Detected, seen: dict) -> ProblemCandidate:
    return ProblemCandidate.objects.create(
        kind=group.kind, key=group.key, label=group.label[:200],
        open_key=f"{group.kind}:{group.key}", incident_ids=sorted(seen), count=len(seen),
        first_seen=min(seen.values()), last_seen=max(seen.values()))


def _merge(row: ProblemCandidate, seen: dict) -> bool:
    ids = sorted(set(row.incident_ids) | seen.keys())
    if ids == row.incident_ids:
        return False
    row.incident_ids, row.count = ids, len(ids)
    row.first_seen = min(row.first_seen, *seen.values())
    row.last_seen = max(row.last_seen, *seen.values())
    row.save(update_fields=["incident_ids", "count", "first_seen", "last_seen", "updated_at"])
    return True


def _check_may_decide(by) -> None:
    if not may_manage_problems(by):
        raise NotPermitted(_("Only incident managers and process owners decide on problem "
                             "candidates."))


def _locked_open(candidate: ProblemCandidate) -> ProblemCandidate:
    candidate = ProblemCandidate.objects.select_for_update().get(pk=candidate.pk)
    if candidate.state != CandidateState.OPEN:
        raise Conflict(_("This candidate was already %(state)s.") % {
            "state": CandidateState(candidate.state).label.lower()})
    return candidate


def candidate_raise(*, candidate: ProblemCandidate, by, data: dict | None = None,
                    channel: str = Channel.WEB) -> Problem:
    """Raise a problem from the candidate's incidents in one step."""
    _check_may_decide(by)
    with transaction.atomic():
        candidate = _locked_open(candidate)
        incidents = list(Incident.objects.filter(pk__in=candidate.incident_ids).order_by("pk"))
        data = dict(data or {})
        if candidate.kind != CandidateKind.WORKAROUND and not data.get("short_description"):
            data["short_description"] = (_("Recurring incidents: %(what)s") % {
                "what": candidate.label})[:200]
        problem = problem_raise(by=by, incidents=incidents, data=data, channel=channel)
        _decide(candidate, by=by, state=CandidateState.RAISED, problem=problem)
    return problem


def candidate_dismiss(*, candidate: ProblemCandidate, by, reason: str) -> ProblemCandidate:
    """Dismiss the candidate with the reason; its incidents are not flagged for its key again."""
    _check_may_decide(by)
    reason = text_clean(reason)
    if not reason:
        raise InvalidInput(errors={"reason": _("Say why this is not a problem.")})
    if len(reason) > 500:
        raise InvalidInput(errors={"reason": _("Use at most 500 characters.")})
    with transaction.atomic():
        candidate = _locked_open(candidate)
        _decide(candidate, by=by, state=CandidateState.DISMISSED, reason=reason)
    return candidate


def _decide(candidate, *, by, state, problem=None, reason: str = "") -> None:
    candidate.state, candidate.open_key, candidate.problem = state, None, problem
    candidate.decided_by, candidate.decided_at = by, timezone.now()
    candidate.dismiss_reason = reason
    candidate.save()
