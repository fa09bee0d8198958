"""Changes in the measures app: the process owner sets the KPIs' targets."""

from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from opsdesk.core.exceptions import InvalidInput, NotPermitted

from .definitions import HOURS, PERCENT, SCORE, definitions
from .models import KpiTarget, KpiTargetChange
from .selectors import may_edit_targets

# What a target may be, per unit: (lowest, highest).
TARGET_RANGES = {PERCENT: (0, 100), SCORE: (1, 5), HOURS: (0, 24 * 365), "count": (0, 10**9)}


def target_set(*, code: str, target, by, channel: str = "web") -> KpiTarget:
    """Store a KPI's target (None: no target) and record who changed it, when, from what.

    Only process owners and administrators may; a target outside the unit's range, or for a
    KPI that does not exist, is refused with a message that says why.
    """
    if not may_edit_targets(user=by):
        raise NotPermitted(_("Only the process owner sets the KPIs' targets."))
    definition = next((d for d in definitions() if d.code == code), None)
    if definition is None:
        raise InvalidInput(errors={"code": _("Unknown KPI “%(code)s”.") % {"code": code}})
    value = _target_value(target, definition.unit)
    with transaction.atomic():
        row = KpiTarget.objects.select_for_update().filter(code=code).first()
        old = row.target if row is not None else _default(definition.target)
        if row is None:
            row = KpiTarget(code=code)
        row.target, row.changed_by, row.changed_at = value, by, timezone.now()
        row.save()
        if old != value:
            KpiTargetChange.objects.create(code=code, old_target=old, new_target=value,
                                           changed_by=by, changed_at=row.changed_at,
                                           channel=channel)
    return row


def _default(value) -> Decimal | None:
    return None if value is None else Decimal(str(value)).quantize(Decimal("0.01"))


def _target_value(target, unit: str) -> Decimal | None:
    if target is None or (isinstance(target, str) and not target.strip()):
        return None
    try:
        value = Decimal(str(target).strip().replace(",", "."))
    except InvalidOperation:
        raise InvalidInput(errors={"target": _("Enter a number, e.g. 95.")}) from None
    low, high = TARGET_RANGES[unit]
    if not value.is_finite() or not low <= value <= high:
        raise InvalidInput(errors={"target": _("Enter a number from %(low)s to %(high)s.") % {
            "low": low, "high": high}})
    return value.quantize(Decimal("0.01"))
