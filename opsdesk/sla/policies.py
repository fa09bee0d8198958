"""SLA policies: the shipped defaults, the owner's edits, and choosing an incident's policy from
memory. Every write forgets the cached policies, so new incidents in this process use the edit
at once (other processes within the cache's TTL); running clocks keep their snapshot."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from opsdesk.accounts.models import Organisation
from opsdesk.core import lookups
from opsdesk.core.exceptions import InvalidInput
from opsdesk.incidents.choices import Status
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


# Fields of a policy the owner edits (besides the code, set once, and the pause reasons).
EDITABLE_FIELDS = (
    "name_zh", "name_en", "priority", "service", "organisation", "response_calendar",
    "response_seconds", "resolution_calendar", "resolution_seconds",
    "response_pause_statuses", "resolution_pause_statuses", "warn_first_percent",
    "warn_second_percent", "notify_manager_at_creation", "notify_managers_at_second_warning",
    "escalate_on_breach", "escalate_to_vendor_on_breach", "escalate_after_reassignments",
    "auto_close_calendar", "auto_close_working_days", "sort_order", "is_active")


def policy_create(*, code: str, data: dict, pause_reasons) -> SlaPolicy:
    """Create a policy with its pause reasons; all or nothing. Raises InvalidInput."""
    if SlaPolicy.objects.filter(code=code).exists():
        raise InvalidInput(errors={"code": _("A policy with this code exists already.")})
    return _policy_save(policy=SlaPolicy(code=code), data=data, pause_reasons=pause_reasons)


def policy_update(*, policy: SlaPolicy, data: dict, pause_reasons) -> SlaPolicy:
    """Change a policy and its pause reasons; all or nothing. Raises InvalidInput."""
    return _policy_save(policy=policy, data=data, pause_reasons=pause_reasons)


def policy_set_active(*, policy: SlaPolicy, active: bool) -> None:
    """Deactivate a policy (new incidents stop choosing it; running clocks keep it) or revive it."""
    policy.is_active = active
    policy.save(update_fields=["is_active", "updated_at"])


@transaction.atomic
def _policy_save(*, policy: SlaPolicy, data: dict, pause_reasons) -> SlaPolicy:
    for field in EDITABLE_FIELDS:
        if field in data:
            setattr(policy, field, data[field])
    try:
        policy.full_clean(validate_unique=False)
    except ValidationError as error:
        raise InvalidInput(errors={k: " ".join(v) for k, v in error.message_dict.items()}) \
            from None
    policy.save()
    policy.resolution_pause_reasons.set(pause_reasons)
    policies_forget()
    return policy


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


def policy_list(*, active_only: bool = False) -> list[SlaPolicy]:
    """Policies by priority, then sort order and code (from memory)."""
    rows = lookups.rows_by_pk(SlaPolicy).values()
    return sorted((row for row in rows if row.is_active or not active_only),
                  key=lambda row: (row.priority_id, row.sort_order, row.code))


def policy_get(*, code: str | None) -> SlaPolicy | None:
    """The policy with this code from memory (inactive ones too: running clocks keep it)."""
    return lookups.lookup(SlaPolicy, code) if code else None


def policy_pause_reasons(*, policy: SlaPolicy) -> frozenset[str]:
    """Codes of the pending reasons that pause this policy's resolution clock (from memory)."""
    through = SlaPolicy.resolution_pause_reasons.through
    return frozenset(row.pendingreason_id for row in lookups.rows_by_pk(through).values()
                     if row.slapolicy_id == policy.code)


def policy_pauses(*, policy: SlaPolicy, clock: str, status: int,
                  pending_reason_id: str | None) -> bool:
    """Whether this status stops the policy's clock ("response" or "resolution"): a status the
    policy names for the clock, or (resolution only) pending for a reason it names."""
    if status in getattr(policy, f"{clock}_pause_statuses"):
        return True
    return clock == "resolution" and status == Status.PENDING \
        and pending_reason_id in policy_pause_reasons(policy=policy)


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
