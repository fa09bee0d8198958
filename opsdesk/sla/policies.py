"""SLA policies: the shipped defaults, and choosing the policy of an incident from memory."""

from django.db import transaction

from opsdesk.accounts.models import Organisation
from opsdesk.core import lookups
from opsdesk.reference.models import Priority

from . import defaults
from .clock import Calendar
from .models import SlaPolicy, policies_forget
from .selectors import calendar_snapshot


@transaction.atomic
def policies_load_defaults() -> int:
    """Create the shipped P1–P4 policies that are missing; return how many (edits are kept)."""
    created = 0
    for order, row in enumerate(defaults.POLICIES):
        code, zh, en, level, response_cal, response, resolution_cal, resolution, *rules = row
        if SlaPolicy.objects.filter(code=code).exists() or \
                not Priority.objects.filter(level=level).exists():
            continue
        policy = SlaPolicy.objects.create(
            code=code, name_zh=zh, name_en=en, sort_order=order, priority_id=level,
            response_calendar_id=response_cal, response_seconds=response,
            resolution_calendar_id=resolution_cal, resolution_seconds=resolution,
            notify_manager_at_creation=rules[0], notify_managers_at_second_warning=rules[1],
            escalate_on_breach=rules[2], auto_close_calendar_id=defaults.AUTO_CLOSE_CALENDAR,
            auto_close_working_days=defaults.AUTO_CLOSE_WORKING_DAYS)
        policy.resolution_pause_reasons.set(_existing_reasons(
            (defaults.AWAITING_USER, defaults.AWAITING_VENDOR)))
        created += 1
    policies_forget()
    return created


def _existing_reasons(codes: tuple[str, ...]) -> list[str]:
    from opsdesk.reference.models import PendingReason

    return list(PendingReason.objects.filter(code__in=codes).values_list("code", flat=True))


def policy_match(*, priority_id: int | None, service_id: int | None,
                 department_id: int | None) -> SlaPolicy | None:
    """The most specific active policy for these facts, from memory (None if none matches).

    Most specific: a named service first; then the nearest named organisation (the
    department before the company above it); then sort order and code.
    """
    chain = _organisation_chain(department_id)
    best, best_key = None, None
    for policy in lookups.rows_by_pk(SlaPolicy).values():
        if not policy.is_active or policy.priority_id != priority_id:
            continue
        if policy.service_id not in (None, service_id):
            continue
        if policy.organisation_id is not None and policy.organisation_id not in chain:
            continue
        distance = chain.index(policy.organisation_id) if policy.organisation_id else len(chain)
        key = (policy.service_id is None, distance, policy.sort_order, policy.code)
        if best_key is None or key < best_key:
            best, best_key = policy, key
    return best


def policy_get(*, code: str | None) -> SlaPolicy | None:
    """The policy with this code from memory (inactive ones too: running clocks keep it)."""
    return lookups.lookup(SlaPolicy, code) if code else None


def policy_pause_reasons(*, policy: SlaPolicy) -> frozenset[str]:
    """Codes of the pending reasons that pause this policy's resolution clock (from memory)."""
    through = SlaPolicy.resolution_pause_reasons.through
    return frozenset(row.pendingreason_id for row in lookups.rows_by_pk(through).values()
                     if row.slapolicy_id == policy.code)


def policy_calendars(*, policy: SlaPolicy) -> tuple[Calendar, Calendar, Calendar]:
    """(response, resolution, auto-close) calendar snapshots of the policy."""
    return (calendar_snapshot(code=policy.response_calendar_id),
            calendar_snapshot(code=policy.resolution_calendar_id),
            calendar_snapshot(code=policy.auto_close_calendar_id))


def _organisation_chain(department_id: int | None) -> list[int]:
    """The department and the organisations above it, nearest first."""
    chain, rows = [], lookups.rows_by_pk(Organisation)
    while department_id is not None and department_id in rows and department_id not in chain:
        chain.append(department_id)
        department_id = rows[department_id].parent_id
    return chain
