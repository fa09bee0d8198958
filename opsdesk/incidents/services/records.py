"""Creating incidents and changing their fields, with history."""

import hashlib
import json
import logging
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from opsdesk.core import lookups
from opsdesk.core.services import text_clean
from opsdesk.core.exceptions import Conflict, InvalidInput, NotPermitted
from opsdesk.reference.models import Nature, Priority
from opsdesk.reference.selectors import priority_from_matrix, routing_rule_match
from opsdesk.search.services import incident_index
from opsdesk.sla import engine as sla

from .. import events, hooks, notify
from ..choices import FINAL_STATUSES, Channel
from ..models import CreationFollowUp, IdempotencyKey, Incident
from .numbers import number_take
from .relations import PRIORITY_OVERRIDERS, actor_relations, can_edit, check_collaborators

# Fields a person may set when logging or editing an incident; everything else is system-set.
SCALAR_FIELDS = (
    "requester", "contact_name", "contact_phone", "contact_email", "occurred_at", "location",
    "source", "nature", "short_description", "description", "category", "service", "impact",
    "urgency", "vendor", "vendor_reference", "duplicate_of", "parent", "alert_ids",
    "related_problem", "related_change",
)
M2M_FIELDS = ("configuration_items", "collaborators", "watchers")
# Plain users (requesters) may only describe their own problem.
REQUESTER_FIELDS = frozenset({
    "contact_name", "contact_phone", "contact_email", "occurred_at", "location", "source",
    "nature", "short_description", "description", "category", "service", "impact", "urgency",
    "configuration_items", "watchers",
})
DEFAULT_SOURCE_BY_CHANNEL = {Channel.WEB: "03", Channel.API: "07", Channel.EMAIL: "02",
                             Channel.PHONE: "01", Channel.ALERT: "04"}
DEFAULT_IMPACT, DEFAULT_URGENCY, DEFAULT_NATURE = 4, 3, "01"
logger = logging.getLogger(__name__)


def request_digest(payload: dict) -> str:
    """A stable fingerprint of a request body, to tell a retry from a different request."""
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def incident_create(*, by, data: dict, channel: str = Channel.WEB,
                    idempotency_key: str = "", digest: str = "",
                    assign: dict | None = None, route: bool = True,
                    acknowledge: bool = True) -> tuple[Incident, bool]:
    """Log a new incident from resolved data, optionally assigning it; return (incident, created).

    Without `assign`, the routing rules pick the group (route=False leaves it unassigned: the
    desk that resolves at first contact keeps the incident). acknowledge=False sends the
    requester no acknowledgement (mail from a list or marked "no automatic replies").

    With an idempotency key, a retry of the same request returns the incident the first request
    created (created=False); the key row and the incident commit together, so a concurrent retry
    waits on the key's unique index and then sees the first result.

    The number is taken last: the day's counter row stays locked from then until the commit, so
    the shorter that stretch, the more incidents per second can be logged at once. What needs
    the number (the mails) and the apps' create hooks are the follow-up. Called outside a
    transaction (the API, the web forms), the creating transaction commits with a
    `CreationFollowUp` row and the follow-up runs in a second transaction that deletes it, so
    the counter is locked for one statement (two on SQLite and MariaDB) and the commit; should
    the follow-up fail, the incident stands and the periodic sweep runs it again. Inside a
    caller's transaction (mail and alert intake, the catalogue) everything runs in that one
    transaction, as one unit.
    """
    inside = transaction.get_connection().in_atomic_block
    with transaction.atomic():
        if idempotency_key:
            existing = _idempotent_replay(by=by, key=idempotency_key, digest=digest)
            if existing is not None:
                return existing, False
        incident = _incident_insert(by=by, data=data, channel=channel)
        if assign:
            from .lifecycle import incident_transition

            incident = incident_transition(incident=incident, action="assign", by=by,
                                           channel=channel, **assign)
        elif route and (rule := routing_rule_match(category_id=incident.category_id,
                                                   service_id=incident.service_id,
                                                   location_id=incident.location_id)):
            from .lifecycle import incident_transition  # a system assignment by the rule

            incident = incident_transition(incident=incident, action="assign", by=None,
                                           channel=Channel.SYSTEM, assignment_group=rule.group,
                                           reason=_("Routing rule: %(rule)s") % {"rule": rule})
        incident_index(incident, new=True)
        if idempotency_key:
            IdempotencyKey.objects.filter(user=by, key=idempotency_key).update(incident=incident)
        if inside:
            _number_take(incident)
            _follow_up(incident=incident, by=by, channel=channel, acknowledge=acknowledge)
            return incident, True
        CreationFollowUp.objects.create(incident=incident, by=by, channel=channel,
                                        acknowledge=acknowledge)
        _number_take(incident)
    try:
        with transaction.atomic():
            if CreationFollowUp.objects.filter(incident=incident).delete()[0]:
                _follow_up(incident=incident, by=by, channel=channel, acknowledge=acknowledge)
    except Exception:  # the incident is logged: the sweep sends its mails and runs its hooks
        logger.exception("The follow-up of %s failed; the periodic sweep will run it again",
                         incident.number)
    return incident, True


def _follow_up(*, incident: Incident, by, channel: str, acknowledge: bool) -> None:
    notify.notify_created(incident=incident, by=by, channel=channel, acknowledge=acknowledge)
    hooks.created(incident=incident, by=by, channel=channel)


def creation_follow_ups_run(*, older_than: timedelta = timedelta(seconds=60),
                            limit: int = 200) -> int:
    """Run the follow-ups that a failed or killed request left (see incident_create); return
    how many ran. Safe with several workers: each row is claimed with SKIP LOCKED and deleted
    in the transaction that runs its follow-up, and a row younger than `older_than` is left to
    the request that is still running it."""
    cutoff = timezone.now() - older_than
    due = list(CreationFollowUp.objects.filter(created_at__lte=cutoff)
               .order_by("created_at").values_list("incident_id", flat=True)[:limit])
    done = 0
    for incident_id in due:
        try:
            with transaction.atomic():
                row = (CreationFollowUp.objects.select_for_update(skip_locked=True)
                       .filter(incident_id=incident_id).first())
                if row is None:
                    continue  # done meanwhile, or another worker has it
                incident = Incident.objects.get(pk=incident_id)
                row.delete()
                _follow_up(incident=incident, by=row.by, channel=row.channel,
                           acknowledge=row.acknowledge)
                done += 1
        except Exception:
            logger.exception("The follow-up of incident %s failed again", incident_id)
    return done


def _number_take(incident: Incident) -> None:
    # The day is the company's local day (settings.TIME_ZONE), whatever zone a request activated.
    incident.number = number_take(
        incident_id=incident.pk, prefix=incident.nature.number_prefix,
        day=timezone.localdate(incident.registered_at, timezone.get_default_timezone()))


def _idempotent_replay(*, by, key: str, digest: str) -> Incident | None:
    try:
        with transaction.atomic():
            IdempotencyKey.objects.create(user=by, key=key, request_digest=digest)
            return None
    except IntegrityError:
        stored = IdempotencyKey.objects.select_related("incident").get(user=by, key=key)
    if stored.request_digest != digest:
        raise InvalidInput(_("This Idempotency-Key was already used for a different request."),
                           errors={"Idempotency-Key": _("Use a new key for a new request.")})
    return stored.incident


def _incident_insert(*, by, data: dict, channel: str) -> Incident:
    _check_create_permissions(by=by, data=data)
    values = {f: data[f] for f in SCALAR_FIELDS if f in data and data[f] is not None}
    if "description" in values:
        values["description"] = text_clean(values["description"])
    values.setdefault("requester", by)
    if "nature" not in values:
        values["nature"] = lookups.lookup(Nature, DEFAULT_NATURE)  # its prefix makes the number
    # Defaults by id: the rows are shipped reference data, no need to read them.
    defaults = {"source_id": DEFAULT_SOURCE_BY_CHANNEL.get(channel, "07"),
                "impact_id": DEFAULT_IMPACT, "urgency_id": DEFAULT_URGENCY}
    for key, value in defaults.items():
        if key.removesuffix("_id") not in values:
            values[key] = value
    incident = Incident(**values, created_by=by, channel=channel)
    incident.requester_department_id = incident.requester.department_id
    _validate(incident)
    _apply_priority(incident=incident, data=data, by_roles=_creator_roles(by))
    if by.is_service_desk:
        incident.owner = by  # 首问负责人: the desk agent who logs it owns it to the end
    incident.registered_at = timezone.now()
    sla.sla_start(incident=incident, now=incident.registered_at)
    if data.get("collaborators"):
        check_collaborators(data["collaborators"])
    incident.save()
    for field in M2M_FIELDS:
        if data.get(field):
            getattr(incident, field).set(data[field])
    events.event_created(incident=incident, by=by, channel=channel)
    sla.sla_after_create(incident=incident)
    return incident


def _creator_roles(by) -> frozenset:
    from ..choices import Actor

    roles = set()
    if by.is_service_desk:
        roles.add(Actor.DESK)
    if by.is_incident_manager or by.is_superuser:
        roles.add(Actor.MANAGER)
    return frozenset(roles)


def _check_create_permissions(*, by, data: dict) -> None:
    if by.is_service_desk or by.is_incident_manager or by.is_superuser:
        return
    if data.get("requester") not in (None, by):
        raise NotPermitted(_("Only the service desk may log an incident for someone else."))
    forbidden = sorted(set(data) - REQUESTER_FIELDS - {"requester", "priority",
                                                       "priority_override_reason"})
    if data.get("priority") is not None:
        forbidden.append("priority")
    if forbidden:
        raise NotPermitted(_("You may not set these fields: %(fields)s.") % {
            "fields": ", ".join(forbidden)})


def _validate(incident: Incident) -> None:
    errors = {}
    if not (incident.short_description or "").strip():
        errors["short_description"] = _("A short description is required.")
    if incident.impact_id is None:
        errors["impact"] = _("Choose the impact.")
    if incident.urgency_id is None:
        errors["urgency"] = _("Choose the urgency.")
    if incident.pk and incident.duplicate_of_id == incident.pk:
        errors["duplicate_of"] = _("An incident cannot be a duplicate of itself.")
    if incident.pk and incident.parent_id == incident.pk:
        errors["parent"] = _("An incident cannot be its own parent.")
    if incident.contact_email:
        try:
            validate_email(incident.contact_email)
        except ValidationError:
            errors["contact_email"] = _("Enter a valid email address.")
    if not isinstance(incident.alert_ids, list):
        errors["alert_ids"] = _("Alert ids must be a list.")
    if errors:
        raise InvalidInput(errors=errors)


def _apply_priority(*, incident: Incident, data: dict, by_roles: frozenset) -> list[str]:
    """Set priority from the matrix, or from an override by a permitted role with a reason.

    An override stays when impact or urgency change (until it equals the matrix again). Only the
    roles that may override may also end an override or change the priority away from what it
    would otherwise be; anyone may send the value it already has.
    """
    fields = ["priority", "priority_overridden", "priority_override_reason"]
    matrix = priority_from_matrix(impact_id=incident.impact_id, urgency_id=incident.urgency_id)
    current = incident.priority if incident.priority_overridden else None
    explicit = "priority" in data
    wanted = data.get("priority") if explicit else current
    if explicit and not by_roles & PRIORITY_OVERRIDERS:
        wanted_level = matrix if wanted is None else getattr(wanted, "pk", wanted)
        if wanted_level != (current.pk if current is not None else matrix):
            raise NotPermitted(_("Only the service desk or an incident manager may override the "
                                 "priority."))
        wanted, explicit = current, False
    if wanted is None or (isinstance(wanted, Priority) and wanted.pk == matrix):
        incident.priority_id = matrix
        incident.priority_overridden = False
        incident.priority_override_reason = ""
        return fields
    if explicit:
        reason = (data.get("priority_override_reason") or "").strip()
        if not reason:
            raise InvalidInput(errors={"priority_override_reason": _(
                "Give a reason for overriding the priority from the matrix.")})
        incident.priority = wanted
        incident.priority_overridden = True
        incident.priority_override_reason = reason
    return fields


# Fields whose changes only support staff see in the history: the vendor work is internal.
INTERNAL_FIELDS = frozenset({"vendor", "vendor_reference"})


# Cross-references the system keeps current even on a finished incident (a problem links the
# closed incidents that recur); every other field of a finished incident stays as it ended.
SYSTEM_FIELDS_WHEN_FINISHED = frozenset({"related_problem", "related_change"})


class StaleVersion(Conflict):
    """The incident changed after the caller read it (optimistic locking): nothing was saved."""

    default_message = _lazy("Someone else changed this incident after you opened it. Nothing "
                            "was saved: check the current values and make your change again.")


def incident_version(updated_at: datetime) -> str:
    """An incident's version token: its last save (`updated_at`) in microseconds, as text.

    Every edit of its fields and every lifecycle action saves the row (auto_now), so the token
    changes with each. Comments, people and the SLA tick's counters are written with UPDATE
    and leave it alone: they change no field an editor's form holds. The web edit form
    carries the token as a hidden field; the API sends it as the ETag.
    """
    return str(int(updated_at.timestamp()) * 1_000_000 + updated_at.microsecond)


def incident_update(*, incident: Incident, by, data: dict, channel: str = Channel.WEB,
                    reason: str = "",
                    expected_version: str | tuple[str, ...] | None = None) -> Incident:
    """Change fields of an incident; each changed field is one history entry.

    `by=None` is the system itself (like incident_transition's): it needs no relation to the
    incident, and must say why (`reason`, kept on each history entry). The system may change
    only the cross-references of a finished incident (SYSTEM_FIELDS_WHEN_FINISHED).

    `expected_version` (incident_version of what the caller read, or several) makes the change
    conditional: if anyone saved the incident since, StaleVersion is raised and nothing is
    written, so the second of two concurrent editors never silently overwrites the first.
    Without it, the fields given are written over whatever is there (last write wins, field by
    field).
    """
    if by is None and not (reason or "").strip():
        raise ValueError("incident_update(by=None) needs the reason for the history.")
    with transaction.atomic():
        incident = Incident.objects.select_for_update().get(pk=incident.pk)
        relations = actor_relations(user=by, incident=incident) if by is not None \
            else PRIORITY_OVERRIDERS
        if by is not None and not can_edit(user=by, incident=incident):
            raise NotPermitted(_("You may not edit this incident."))
        if incident.status in FINAL_STATUSES and (
                by is not None or set(data) - SYSTEM_FIELDS_WHEN_FINISHED):
            raise Conflict(_("This incident is finished and can no longer be changed. Report a "
                             "new incident if the problem is back."))
        if expected_version is not None and incident_version(incident.updated_at) not in (
                (expected_version,) if isinstance(expected_version, str) else expected_version):
            raise StaleVersion()
        before = {f: getattr(incident, f) for f in SCALAR_FIELDS + ("priority", "owner")}
        sla_inputs = _sla_inputs(incident)
        for field in SCALAR_FIELDS:
            if field in data:
                value = data[field]
                setattr(incident, field, text_clean(value) if field == "description" else value)
        if "requester" in data and incident.requester_id is None:
            raise InvalidInput(errors={"requester": _("An incident needs a requester.")})
        _validate(incident)
        if incident.status not in FINAL_STATUSES:  # a finished one keeps the priority it had
            _apply_priority(incident=incident, data=data, by_roles=relations)
        if "requester" in data:
            incident.requester_department_id = incident.requester.department_id
        _claim_ownership(incident=incident, by=by)
        if _sla_inputs(incident) != sla_inputs:  # the SLA policy may change: keep elapsed time
            sla.sla_on_priority_change(incident=incident, old_priority_id=sla_inputs[0],
                                       now=timezone.now(), by=by, channel=channel)
        incident.save()
        for field, old in before.items():
            new = getattr(incident, field)
            if old != new:
                events.event_field_changed(incident=incident, by=by, channel=channel,
                                           field=field, old=old, new=new,
                                           internal=field in INTERNAL_FIELDS, reason=reason)
        if any(before[f] != getattr(incident, f) for f in ("short_description", "description")):
            incident_index(incident)
        _update_m2m(incident=incident, by=by, data=data, channel=channel)
        hooks.updated(incident=incident, by=by, channel=channel,
                      changed={f for f, old in before.items() if old != getattr(incident, f)})
    return incident


def _sla_inputs(incident: Incident) -> tuple:
    """What chooses an incident's SLA policy: priority, service, the requester's department."""
    return incident.priority_id, incident.service_id, incident.requester_department_id


def _update_m2m(*, incident, by, data, channel) -> None:
    for field in M2M_FIELDS:
        if field not in data:
            continue
        manager = getattr(incident, field)
        old, new = set(manager.all()), set(data[field] or [])
        if old == new:
            continue
        if field == "collaborators":
            check_collaborators(new - old)
        manager.set(new)
        events.event_people_changed(incident=incident, by=by, channel=channel, field=field,
                                    added=sorted(new - old, key=str),
                                    removed=sorted(old - new, key=str))


def _claim_ownership(*, incident: Incident, by) -> None:
    """The first service-desk agent to handle an incident reported elsewhere becomes its owner."""
    if incident.owner_id is None and by is not None and by.is_service_desk:
        incident.owner = by
