"""Raising problems from incidents, changing their fields, linking and unlinking incidents."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from opsdesk.cmdb.models import ConfigurationItem
from opsdesk.core.exceptions import Conflict, InvalidInput, NotFound, NotPermitted
from opsdesk.core.services import text_clean
from opsdesk.incidents import events as incident_events
from opsdesk.incidents.choices import Channel
from opsdesk.incidents.models import Incident
from opsdesk.incidents.services.numbers import number_next

from .. import events
from ..models import Problem, ProblemIncident
from ..permissions import (may_link_incidents, may_raise_problem, may_work_problem)

PREFIX = "PRB"
SCALAR_FIELDS = ("short_description", "description", "root_cause", "workaround", "owner_group",
                 "assignee", "priority", "category", "service")
TEXT_FIELDS = frozenset({"short_description", "description", "root_cause", "workaround"})


def problem_raise(*, by, incidents: list[Incident], data: dict,
                  channel: str = Channel.WEB) -> Problem:
    """Raise a problem from one or many incidents in one step, and link them all.

    What `data` leaves out comes from the incidents: the statement from the first, the owner
    group from the first one assigned, the highest priority, the first category and service,
    and every configuration item. The number is taken last (see incidents' number_next).
    """
    if not may_raise_problem(by):
        raise NotPermitted(_("Only support staff may raise a problem."))
    with transaction.atomic():
        incidents = _visible_incidents(by=by, incidents=incidents)
        values = {**_defaults_from(incidents), **{k: v for k, v in data.items()
                                                   if k in SCALAR_FIELDS and v is not None}}
        problem = Problem(created_by=by, **_cleaned(values))
        _validate(problem)
        problem.save()
        cis = data.get("configuration_items")
        if cis is None:
            cis = ConfigurationItem.objects.filter(
                incidents__in=[i.pk for i in incidents]).distinct()
        problem.configuration_items.set(cis)
        events.problem_event_created(problem=problem, by=by, channel=channel)
        problem.number = number_next(prefix=PREFIX, day=timezone.localdate(
            problem.created_at, timezone.get_default_timezone()))
        Problem.objects.filter(pk=problem.pk).update(number=problem.number)
        for incident in incidents:
            _link(problem=problem, incident=incident, by=by, channel=channel)
    return problem


def _visible_incidents(*, by, incidents: list[Incident]) -> list[Incident]:
    """The incidents again, each checked against what `by` may see (the order is kept)."""
    unique = list({i.pk: i for i in incidents}.values())
    visible = set(Incident.objects.restrict(by).filter(pk__in=[i.pk for i in unique])
                  .values_list("pk", flat=True))
    for incident in unique:
        if incident.pk not in visible:
            raise NotFound(_("Incident %(number)s was not found.") % {"number": incident.number})
    return unique


def _defaults_from(incidents: list[Incident]) -> dict:
    if not incidents:
        return {}
    first = incidents[0]
    priorities = [i.priority for i in incidents if i.priority_id is not None]
    return {
        "short_description": first.short_description,
        "owner_group": next((i.assignment_group for i in incidents if i.assignment_group_id),
                            None),
        "priority": min(priorities, key=lambda p: p.pk) if priorities else None,
        "category": next((i.category for i in incidents if i.category_id), None),
        "service": next((i.service for i in incidents if i.service_id), None),
    }


def _cleaned(values: dict) -> dict:
    return {k: text_clean(v) if k in TEXT_FIELDS else v for k, v in values.items()}


def _validate(problem: Problem) -> None:
    errors = {}
    if not problem.short_description:
        errors["short_description"] = _("State the problem in a line.")
    elif len(problem.short_description) > 200:
        errors["short_description"] = _("Use at most 200 characters.")
    if problem.assignee_id is not None:
        if problem.owner_group_id is None:
            errors["assignee"] = _("Choose the owner group first.")
        elif not problem.owner_group.members.filter(pk=problem.assignee_id).exists():
            errors["assignee"] = _("%(user)s is not a member of %(group)s.") % {
                "user": problem.assignee.label, "group": problem.owner_group.name}
    if errors:
        raise InvalidInput(errors=errors)


def problem_update(*, problem: Problem, by, data: dict, channel: str = Channel.WEB) -> Problem:
    """Change a problem's fields; each changed field is one history entry."""
    with transaction.atomic():
        problem = Problem.objects.select_for_update().get(pk=problem.pk)
        _check_may_work(by=by, problem=problem)
        if problem.is_final:
            raise Conflict(_("This problem is closed and can no longer be changed."))
        before = {f: getattr(problem, f) for f in SCALAR_FIELDS}
        for field, value in _cleaned({k: v for k, v in data.items()
                                      if k in SCALAR_FIELDS}).items():
            setattr(problem, field, value)
        _validate(problem)
        problem.save()
        for field, old in before.items():
            new = getattr(problem, field)
            if old != new:
                events.problem_event_field(problem=problem, by=by, channel=channel, field=field,
                                           old=_text(old), new=_text(new))
        if "configuration_items" in data:
            _cis_update(problem=problem, by=by, channel=channel, cis=data["configuration_items"])
    return problem


def _cis_update(*, problem, by, channel, cis) -> None:
    old = {ci.name for ci in problem.configuration_items.all()}
    problem.configuration_items.set(cis or [])
    new = {ci.name for ci in cis or []}
    if old != new:
        events.problem_event_field(problem=problem, by=by, channel=channel,
                                   field="configuration_items", old=", ".join(sorted(old)),
                                   new=", ".join(sorted(new)))


def _text(value) -> str:
    if value is None:
        return ""
    return incident_events.natural_key(value) if hasattr(value, "_meta") else str(value)


def _check_may_work(*, by, problem) -> None:
    if not may_work_problem(by, problem):
        raise NotPermitted(_("Only incident managers, process owners and the engineers of the "
                             "owner group work this problem."))


def problem_incidents_link(*, problem: Problem, by, incidents: list[Incident],
                           channel: str = Channel.WEB) -> list[ProblemIncident]:
    """Link more incidents to an open problem; an incident linked already is left as it is."""
    if not incidents:
        raise InvalidInput(errors={"incidents": _("Name at least one incident.")})
    with transaction.atomic():
        problem = Problem.objects.select_for_update().get(pk=problem.pk)
        if not may_link_incidents(by, problem):
            raise NotPermitted(_("Only support staff may link incidents to a problem."))
        if problem.is_final:
            raise Conflict(_("This problem is closed: raise a new one for these incidents."))
        incidents = _visible_incidents(by=by, incidents=incidents)
        linked = set(problem.incident_links.values_list("incident_id", flat=True))
        return [_link(problem=problem, incident=i, by=by, channel=channel)
                for i in incidents if i.pk not in linked]


def _link(*, problem, incident, by, channel) -> ProblemIncident:
    link = ProblemIncident.objects.create(problem=problem, incident=incident, linked_by=by)
    events.problem_event_link(problem=problem, by=by, channel=channel, incident=incident,
                              linked=True)
    _incident_related_problem_set(
        incident=incident, number=problem.number, channel=channel,
        reason=_("%(person)s linked it to the problem %(number)s.") % {
            "person": by.label, "number": problem.number})
    return link


def problem_incident_unlink(*, problem: Problem, by, incident: Incident,
                            channel: str = Channel.WEB) -> None:
    """Remove an incident from the problem (its workers only)."""
    with transaction.atomic():
        problem = Problem.objects.select_for_update().get(pk=problem.pk)
        _check_may_work(by=by, problem=problem)
        if problem.is_final:
            raise Conflict(_("This problem is closed and can no longer be changed."))
        deleted, _rows = ProblemIncident.objects.filter(problem=problem, incident=incident).delete()
        if not deleted:
            raise NotFound(_("Incident %(number)s is not linked to this problem.") % {
                "number": incident.number})
        events.problem_event_link(problem=problem, by=by, channel=channel, incident=incident,
                                  linked=False)
        remaining = (ProblemIncident.objects.filter(incident=incident)
                     .order_by("-linked_at", "-id").values_list("problem__number", flat=True)
                     .first())
        _incident_related_problem_set(
            incident=incident, number=remaining or "", channel=channel,
            reason=_("%(person)s unlinked it from the problem %(number)s.") % {
                "person": by.label, "number": problem.number})


def _incident_related_problem_set(*, incident, number: str, channel, reason: str) -> None:
    """Keep the incident's `related_problem` item (SPEC §2) on its newest linked problem.

    The system sets it through incident_update (by=None), naming who linked and why: the
    person linking need not be allowed to edit the incident (a process owner, an engineer of
    another group), and closed incidents, where recurring ones are found, take it too.
    """
    from opsdesk.incidents.services import incident_update

    if Incident.objects.filter(pk=incident.pk, related_problem=number).exists():
        return
    incident_update(incident=incident, by=None, data={"related_problem": number},
                    channel=channel, reason=reason)
    incident.related_problem = number
