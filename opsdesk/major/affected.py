""""Affects me too": people attach themselves to a known outage instead of reporting it again.

The count of people raises the master's impact (so its priority, through the matrix) at the
thresholds of the "affected" rules, and past a threshold it proposes (or declares) a major
incident. Everyone attached hears when it is resolved (hooks.py).
"""

from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from opsdesk.core.exceptions import Conflict, NotFound, NotPermitted
from opsdesk.core import lookups
from opsdesk.incidents import events
from opsdesk.incidents.choices import OPEN_STATUSES, Channel
from opsdesk.incidents.models import Incident
from opsdesk.incidents.services.relations import user_is_staff
from opsdesk.reference.models import Impact

from .criteria import criteria_apply, criteria_list
from .models import AffectedPerson, MajorIncident, MajorState, RuleAction, RuleKind


def _may_attach(*, incident: Incident, by) -> bool:
    """A declared major is public in the portal (and stays known once resolved, so a late
    click is told so); any other incident must be visible."""
    if MajorIncident.objects.filter(incident=incident, state__in=(
            MajorState.DECLARED, MajorState.RESOLVED)).exists():
        return True
    return Incident.objects.restrict(by).filter(pk=incident.pk).exists()


def affected_attach(*, incident: Incident, user, by=None,
                    channel: str = Channel.WEB) -> tuple[AffectedPerson, bool]:
    """Attach `user` to the outage; idempotent: a second click returns the first row.

    `by` (default: the user) may be the desk attaching a caller. Returns (row, created).
    """
    by = by or user
    if by.pk != user.pk and not user_is_staff(by):
        raise NotPermitted(_("Only support staff may attach someone else."))
    if not _may_attach(incident=incident, by=by):
        raise NotFound(_("Incident %(number)s was not found.") % {"number": incident.number})
    with transaction.atomic():
        incident = Incident.objects.select_for_update().get(pk=incident.pk)
        if incident.status not in OPEN_STATUSES:
            raise Conflict(_("This outage is already resolved."))
        try:
            with transaction.atomic():
                row = AffectedPerson.objects.create(incident=incident, user=user,
                                                    department_id=user.department_id,
                                                    added_by=by)
        except IntegrityError:
            return AffectedPerson.objects.get(incident=incident, user=user), False
        count = AffectedPerson.objects.filter(incident=incident).count()
        events.event_people_changed(incident=incident, by=by, channel=channel,
                                    field="affected_people", added=[user])
        _thresholds(incident=incident, count=count)
    return row, True


def _thresholds(*, incident: Incident, count: int) -> None:
    """Apply the "affected" rules whose count was just reached (exactly: once each)."""
    rules = [r for r in criteria_list(active_only=True)
             if r.kind == RuleKind.AFFECTED and r.count == count]
    for rule in rules:
        if rule.impact_id and rule.impact_id < incident.impact_id:
            incident = impact_raise(incident=incident, impact_id=rule.impact_id, reason=_(
                "%(count)s people said the outage affects them.") % {"count": count})
        if rule.action != RuleAction.NONE and incident.parent_id is None:
            criteria_apply(incident=incident, rule=rule,
                           reason=_("%(count)s people said the outage affects them.") % {
                               "count": count})


def impact_raise(*, incident: Incident, impact_id: int, reason: str) -> Incident:
    """The system raises the impact, through incident_update (by=None, with the reason): the
    priority follows the matrix unless overridden, the SLA policy with it, and the history
    says the system did it and why. The major rules look at it again (hooks.on_update)."""
    from opsdesk.incidents.services import incident_update

    return incident_update(incident=incident, by=None, channel=Channel.SYSTEM, reason=reason,
                           data={"impact": lookups.lookup(Impact, impact_id)})


def affected_summary(*, incident: Incident) -> dict:
    """How many people are attached, and per department (name, count), largest first."""
    rows = (AffectedPerson.objects.filter(incident=incident)
            .values("department_id", "department__name_zh", "department__name_en")
            .annotate(n=Count("id")).order_by("-n", "department_id"))
    from django.utils.translation import get_language

    zh = (get_language() or "zh-hans").startswith("zh")
    departments = [((r["department__name_zh"] if zh else r["department__name_en"])
                    or r["department__name_en"] or r["department__name_zh"] or _("no department"),
                    r["n"]) for r in rows]
    return {"count": sum(n for _name, n in departments), "departments": departments}


def affected_users_to_tell(*, incident: Incident) -> list:
    """The attached people not yet told of the resolution; marks them told (call in a txn)."""
    rows = list(AffectedPerson.objects.filter(incident=incident, notified_at__isnull=True)
                .select_related("user"))
    AffectedPerson.objects.filter(pk__in=[r.pk for r in rows]).update(notified_at=timezone.now())
    return [r.user for r in rows]
