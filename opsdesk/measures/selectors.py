"""Reads of the measures app: who may see the KPIs, the stored targets and their history."""

from django.utils.translation import gettext as _

from opsdesk.core.exceptions import NotPermitted

from .models import KpiTarget, KpiTargetChange


def may_view_measures(*, user) -> bool:
    """Process owners, incident managers and administrators see every KPI."""
    return bool(user.is_authenticated and user.is_active and (
        user.is_process_owner or user.is_incident_manager or user.is_administrator
        or user.is_superuser))


def measures_groups(*, user) -> list[int] | None:
    """The groups whose KPIs this person may see: None for all of them (may_view_measures),
    else the support groups they lead (SupportGroup.manager); [] for nobody."""
    if may_view_measures(user=user):
        return None
    if not (user.is_authenticated and user.is_active):
        return []
    return list(user.managed_groups.filter(is_active=True).values_list("id", flat=True))


def may_edit_targets(*, user) -> bool:
    """Only the process owner defines the targets (SPEC §1), and administrators."""
    return bool(user.is_authenticated and user.is_active and (
        user.is_process_owner or user.is_administrator or user.is_superuser))


def measures_require(*, user) -> list[int] | None:
    """measures_groups, or NotPermitted for someone who may see no KPI at all."""
    groups = measures_groups(user=user)
    if groups == []:
        raise NotPermitted(_("Only process owners, incident managers, administrators and the "
                             "leads of support groups may see the KPIs."))
    return groups


def targets_current() -> dict[str, float | None]:
    """{code: target} of the targets the process owner stored (one query)."""
    return {row.code: (float(row.target) if row.target is not None else None)
            for row in KpiTarget.objects.all()}


def target_rows() -> dict[str, KpiTarget]:
    """The stored target rows with who changed them last, by code."""
    return {row.code: row for row in KpiTarget.objects.select_related("changed_by")}


def target_history(*, code: str, limit: int = 20) -> list[KpiTargetChange]:
    """The latest changes of one KPI's target, newest first."""
    return list(KpiTargetChange.objects.filter(code=code).select_related("changed_by")
                [:limit])
