"""Shift handovers (交接班): the outgoing shift writes one, the incoming shift acknowledges it."""

from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from opsdesk.accounts.models import SupportGroup
from opsdesk.core.exceptions import Conflict, InvalidInput, NotPermitted
from opsdesk.core.services import text_clean
from opsdesk.incidents.models import Incident

from .. import rules
from ..models import Handover, HandoverItem

MAX_ITEMS = 200
LABEL_MAX = 60


def handover_create(*, by, data: dict) -> Handover:
    """Write a handover with the incidents handed on, each with a note, in one transaction.

    data: shift_date, shift_label, from_group, to_group, to_label, summary, items (a list of
    {"incident": Incident, "note": str}). Members of the outgoing group (or an incident
    manager) write it; every incident must be visible to the writer."""
    values = _clean(data)
    if not rules.user_is_staff(by) or not (
            rules.is_group_member(user=by, group_id=values["from_group"].pk)
            or rules.is_manager(by)):
        raise NotPermitted(_("Only members of the outgoing group write its handover."))
    items = _clean_items(by=by, items=data.get("items") or [])
    with transaction.atomic():
        handover = Handover.objects.create(written_by=by, **values)
        HandoverItem.objects.bulk_create(
            [HandoverItem(handover=handover, incident=incident, note=note, position=n)
             for n, (incident, note) in enumerate(items, start=1)])
    return handover


def handover_acknowledge(*, handover: Handover, by) -> Handover:
    """The incoming shift confirms it has read the handover (once; not its own writer)."""
    with transaction.atomic():
        handover = Handover.objects.select_for_update().get(pk=handover.pk)
        if not (rules.is_group_member(user=by, group_id=handover.to_group_id)
                or by.is_superuser):
            raise NotPermitted(_("Only members of the incoming group acknowledge this "
                                 "handover."))
        if handover.written_by_id == by.pk:
            raise Conflict(_("The incoming shift acknowledges a handover, not its writer."))
        if handover.acknowledged_at is not None:
            raise Conflict(_("This handover was already acknowledged by %(person)s.") % {
                "person": handover.acknowledged_by})
        handover.acknowledged_by, handover.acknowledged_at = by, timezone.now()
        handover.save(update_fields=["acknowledged_by", "acknowledged_at"])
    return handover


def _clean(data: dict) -> dict:
    errors = {}
    shift_date = data.get("shift_date")
    if not isinstance(shift_date, date):
        errors["shift_date"] = _("Give the date of the shift.")
    label, to_label = text_clean(data.get("shift_label")), text_clean(data.get("to_label"))
    if not label:
        errors["shift_label"] = _("Name the shift, e.g. night shift.")
    elif len(label) > LABEL_MAX:
        errors["shift_label"] = _("Use at most %(n)d characters.") % {"n": LABEL_MAX}
    if len(to_label) > LABEL_MAX:
        errors["to_label"] = _("Use at most %(n)d characters.") % {"n": LABEL_MAX}
    for field in ("from_group", "to_group"):
        group = data.get(field)
        if not isinstance(group, SupportGroup) or not group.is_active:
            errors[field] = _("Choose an active support group.")
    summary = text_clean(data.get("summary"))
    if not summary:
        errors["summary"] = _("Write what the next shift should know.")
    if errors:
        raise InvalidInput(errors=errors)
    return {"shift_date": shift_date, "shift_label": label, "to_label": to_label,
            "from_group": data["from_group"], "to_group": data["to_group"], "summary": summary}


def _clean_items(*, by, items: list) -> list[tuple[Incident, str]]:
    """(incident, note) pairs, once per incident, each visible to the writer."""
    if len(items) > MAX_ITEMS:
        raise InvalidInput(errors={"items": _("Hand over at most %(n)d incidents.") % {
            "n": MAX_ITEMS}})
    chosen: dict[int, tuple[Incident, str]] = {}
    for item in items:
        incident = item.get("incident")
        if not isinstance(incident, Incident):
            raise InvalidInput(errors={"items": _("Name each incident by its number.")})
        note = text_clean(item.get("note"))
        if incident.pk in chosen and not note:
            continue
        chosen[incident.pk] = (incident, note)
    visible = set(Incident.objects.restrict(by).filter(pk__in=chosen).values_list("pk",
                                                                                  flat=True))
    hidden = [incident.number for pk, (incident, _n) in chosen.items() if pk not in visible]
    if hidden:
        raise InvalidInput(errors={"items": _("Incident %(numbers)s was not found.") % {
            "numbers": ", ".join(hidden)}})
    return list(chosen.values())
