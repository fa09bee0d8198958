"""One timeline of an incident: history and comments merged, in words a person reads.

The history stores natural keys (codes, levels, usernames, category paths), because they never
change meaning. A person reads labels instead: code-table names in the page's language, people's
display names, local times. Codes never reach the page, so a requester never sees "01".
"""

from dataclasses import dataclass
from datetime import datetime

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.utils import formats, timezone
from django.utils.dateparse import parse_datetime
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from opsdesk.core import lookups
from opsdesk.incidents import selectors
from opsdesk.incidents.choices import Action, Channel, EventKind, Status, Visibility
from opsdesk.incidents.models import Incident
from opsdesk.incidents.refs import CACHED_MODELS, MULTI_REFS, SINGLE_REFS

# Fields whose history values are usernames.
PERSON_FIELDS = frozenset({"requester", "owner", "assignee", "created_by", "collaborators",
                           "watchers", "affected_people"})
# Fields whose history values are datetimes (stored as str(datetime)).
TIME_FIELDS = frozenset({"occurred_at"})


@dataclass
class Entry:
    """A line of the timeline."""

    at: datetime
    actor: object
    kind: str
    title: str
    body: str = ""
    internal: bool = False
    channel: str = ""
    details: tuple[str, ...] = ()
    action: str = ""

    @property
    def channel_label(self) -> str:
        """The channel when it is worth saying (not the web page the reader is on)."""
        if self.channel in ("", Channel.WEB):
            return ""
        try:
            return str(Channel(self.channel).label)
        except ValueError:
            return self.channel


def timeline_entries(*, user, incident: Incident) -> list[Entry]:
    """Comments in full and every other history event, oldest first, as this person may see them."""
    entries = [_comment_entry(c) for c in selectors.incident_comments(user=user, incident=incident)]
    events = [e for e in selectors.incident_history(user=user, incident=incident)
              if e.kind != EventKind.COMMENT]
    labels = Labels.for_events(events)
    entries.extend(_merge_assignments([_event_entry(e, labels, incident) for e in events]))
    return sorted(entries, key=lambda e: e.at)


def _merge_assignments(entries: list[Entry]) -> list[Entry]:
    """An assignment and the assign action that made it are one step for the reader."""
    merged = []
    for entry in entries:
        previous = merged[-1] if merged else None
        if (entry.kind == EventKind.TRANSITION and entry.action == Action.ASSIGN
                and previous is not None and previous.kind == EventKind.ASSIGNMENT
                and previous.actor == entry.actor
                and abs((entry.at - previous.at).total_seconds()) < 5):
            merged[-1] = entry
            entry.details = (_("%(what)s: %(change)s") % {"what": previous.title,
                                                          "change": previous.body},
                             *entry.details)
            continue
        merged.append(entry)
    return merged


class Labels:
    """Turns the natural keys stored in history into labels; people are read in one query."""

    def __init__(self, users_by_username: dict):
        self.users = users_by_username

    @classmethod
    def for_events(cls, events) -> "Labels":
        usernames = set()
        for event in events:
            usernames.update(_usernames_in(event))
        users = get_user_model()._default_manager.filter(username__in=usernames) \
            if usernames else []
        return cls({u.username: u for u in users})

    def person(self, username) -> str:
        if not username:
            return ""
        user = self.users.get(username)
        return user.label if user is not None else username

    def people(self, usernames) -> str:
        return ", ".join(self.person(u) for u in usernames if u)

    def value(self, field: str, raw) -> str:
        """The label of one stored value of `field` ("" when empty)."""
        if raw in (None, ""):
            return ""
        if field in PERSON_FIELDS:
            return self.person(raw)
        if field in TIME_FIELDS:
            return _local_time(raw)
        if field in EXTRA_FIELD_VALUES:
            return EXTRA_FIELD_VALUES[field](raw)
        ref = SINGLE_REFS.get(field) or MULTI_REFS.get(field)
        if ref is not None and ref[0] in CACHED_MODELS:
            return _code_label(ref, raw)
        return str(raw)

    def values(self, field: str, raw_list) -> str:
        return ", ".join(self.value(field, v) for v in raw_list if v)

    def group(self, code) -> str:
        return _code_label(SINGLE_REFS["assignment_group"], code) if code else ""


def _usernames_in(event) -> set:
    found = set()
    if event.field in PERSON_FIELDS:
        if event.kind == EventKind.COLLABORATOR:
            found.update((event.data or {}).get("added", []))
            found.update((event.data or {}).get("removed", []))
        found.update(v for v in (event.old_value, event.new_value) if v)
    data = event.data or {}
    for key in ("from_assignee", "to_assignee", "assignee", "head"):
        if data.get(key):
            found.add(data[key])
    return found


def _code_label(ref, raw) -> str:
    """A code-table (or group, service, site …) row's name in the active language."""
    label, lookup = ref
    model = apps.get_model(label)
    try:
        row = lookups.find(model, lookup, model._meta.get_field(lookup).to_python(raw))
    except (ValueError, TypeError, ValidationError):
        row = None
    if row is None:
        return str(raw)
    return getattr(row, "full_name", None) or row.name


def _local_time(raw) -> str:
    try:
        moment = parse_datetime(str(raw))
    except ValueError:
        moment = None
    if moment is None:
        return str(raw)
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return formats.date_format(moment, "Y-m-d H:i")


def _comment_entry(comment) -> Entry:
    internal = comment.visibility == Visibility.INTERNAL
    title = _("Work note") if internal else _("Reply")
    return Entry(at=comment.created_at, actor=comment.author, kind="comment", title=title,
                 body=comment.body, internal=internal, channel=comment.channel)


def _event_entry(event, labels: Labels, incident: Incident) -> Entry:
    describe = DESCRIBERS.get(event.kind, _describe_other)
    title, body, *details = describe(event, labels, incident)
    return Entry(at=event.at, actor=event.actor, kind=event.kind, title=title, body=body,
                 internal=event.is_internal, channel=event.channel, action=event.action,
                 details=tuple(d for d in (details[0] if details else ()) if d))


def _describe_created(event, labels, incident):
    return _("Logged"), ""


def action_label(action, *, by_requester: bool) -> str:
    """An action's name; a requester's own cancel is a withdrawal (撤回)."""
    try:
        action = Action(action)
    except ValueError:
        return str(action)
    if action == Action.CANCEL and by_requester:
        return _("Withdraw")
    return str(action.label)


def _describe_transition(event, labels, incident):
    by_requester = event.actor_id is not None and event.actor_id == incident.requester_id
    title = _("%(action)s (status: %(from)s → %(to)s)") % {
        "action": action_label(event.action, by_requester=by_requester),
        "from": _status(event.from_status), "to": _status(event.to_status)}
    data = event.data or {}
    details = []
    if data.get("pending_reason") and event.action == Action.PEND:
        details.append(_("Waiting for: %(reason)s") % {
            "reason": labels.value("pending_reason", data["pending_reason"])})
    if data.get("resolution_code"):
        details.append(_("Resolution code: %(code)s") % {
            "code": labels.value("resolution_code", data["resolution_code"])})
    if data.get("is_workaround"):
        details.append(_("This is a workaround, not a permanent fix."))
    if data.get("closure_code"):
        details.append(_("Closure code: %(code)s") % {
            "code": labels.value("closure_code", data["closure_code"])})
    if data.get("duplicate_of"):
        details.append(_("Duplicate of %(number)s") % {"number": data["duplicate_of"]})
    if event.action == Action.HAND_BACK and data.get("group"):
        details.append(_("Handed back by %(group)s") % {"group": labels.group(data["group"])})
    return title, event.new_value, details


def _describe_field(event, labels, incident):
    reason = (event.data or {}).get("reason")  # why the system changed it
    return _("%(field)s changed") % {"field": _field_label(event.field)}, \
        _("from “%(old)s” to “%(new)s”") % {
            "old": labels.value(event.field, event.old_value) or "—",
            "new": labels.value(event.field, event.new_value) or "—"}, [reason]


def _describe_assignment(event, labels, incident):
    data = event.data or {}
    title = _("Escalated") if data.get("escalation") else _("Assignment changed")
    if "to_group" not in data:  # an entry written before the codes were kept apart
        return title, _("from “%(old)s” to “%(new)s”") % {
            "old": event.old_value or "—", "new": event.new_value or _("unassigned")}
    old = _assignment(labels, data.get("from_group"), data.get("from_assignee"))
    new = _assignment(labels, data.get("to_group"), data.get("to_assignee"))
    return title, _("from “%(old)s” to “%(new)s”") % {"old": old or "—",
                                                       "new": new or _("unassigned")}


def _assignment(labels, group, assignee) -> str:
    parts = [labels.group(group), labels.person(assignee)]
    return " / ".join(p for p in parts if p)


def _describe_attachment(event, labels, incident):
    return _("File attached"), event.new_value


def _describe_people(event, labels, incident):
    data = event.data or {}
    added = data.get("added", [v for v in event.new_value.split(", ") if v])
    removed = data.get("removed", [v for v in event.old_value.split(", ") if v])
    parts = []
    if added:
        parts.append(_("added: %(names)s") % {"names": labels.values(event.field, added)})
    if removed:
        parts.append(_("removed: %(names)s") % {"names": labels.values(event.field, removed)})
    return _("%(field)s changed") % {"field": _field_label(event.field)}, "; ".join(parts)


CLOCK_NAMES = {"response": lambda: _("Response SLA"), "resolution": lambda: _("Resolution SLA")}


def _describe_sla(event, labels, incident):
    """SLA facts as sentences: warnings, breaches, escalations, recomputations, auto-close."""
    data = event.data or {}
    clock, crossing = data.get("clock"), data.get("crossing")
    if clock in CLOCK_NAMES:
        return _sla_crossing(data, CLOCK_NAMES[clock]())
    if data.get("escalation") == "functional" and crossing == "escalated_vendor":
        return _sla_vendor_escalation(event, data)
    if data.get("escalation") == "hierarchical":
        return _sla_escalation(event, data, labels)
    if clock == "policy":
        return _sla_recomputed(data, labels)
    if clock == "auto_close" and crossing == "reminder":
        return _("Reminder: the incident closes automatically on %(when)s without an "
                 "answer") % {"when": _local_time(data.get("close_at"))}, event.new_value
    if clock == "auto_close" and crossing == "closed":
        days = int(data.get("days") or 0)
        return ngettext("Closed automatically: no answer for %(n)s working day",
                        "Closed automatically: no answer for %(n)s working days", days) % {
            "n": days}, event.new_value
    return _describe_other(event, labels, incident)


def _sla_crossing(data: dict, clock: str):
    if data.get("crossing") == "breach":
        title = _("%(clock)s breached") % {"clock": clock}
    else:
        percent = data.get("percent") or (50 if data.get("level") == 1 else 80)
        title = _("%(clock)s warning: %(percent)s %% of the time used") % {
            "clock": clock, "percent": percent}
    details = [_("Due %(when)s") % {"when": _local_time(data["due_at"])}] \
        if data.get("due_at") else []
    if data.get("notify") == "incident_managers":
        details.append(_("Escalated to the incident managers."))
    return title, "", details


def _sla_escalation(event, data: dict, labels):
    if data.get("notify") == "department_head":
        department = _code_label(("accounts.Organisation", "code"), data.get("department"))
        return _("Escalated to %(head)s, head of %(department)s") % {
            "department": department or "—",
            "head": labels.person(data.get("head")) or "—"}, event.new_value
    why = {
        "creation": lambda: _("priority P%(level)s when logged") % {
            "level": data.get("priority")},
        "reassignments": lambda: ngettext("reassigned %(n)s time", "reassigned %(n)s times",
                                          int(data.get("reassignments") or 0)) % {
            "n": data.get("reassignments")},
        "manual": lambda: _("by hand"),
    }.get(data.get("clock"), lambda: _("by hand"))()
    return _("Escalated to the incident managers: %(why)s") % {"why": why}, event.new_value


def _sla_vendor_escalation(event, data: dict):
    vendor, ref = data.get("vendor") or "—", data.get("vendor_reference")
    if ref:
        title = _("Escalated to the vendor %(vendor)s (ticket %(ref)s)") % {
            "vendor": vendor, "ref": ref}
    else:
        title = _("Escalated to the vendor %(vendor)s") % {"vendor": vendor}
    details = [_("Resolution SLA breached.")]
    details.append(_("Mailed to %(email)s.") % {"email": data["email"]} if data.get("email")
                   else _("The vendor has no contact address: nobody was mailed."))
    return title, event.new_value, details


def _sla_recomputed(data: dict, labels):
    title = (_("Priority lowered near a breach") if data.get("lowered_near_breach")
             else _("SLA targets recomputed"))
    details = [_("Policy: %(old)s → %(new)s") % {"old": data.get("old_policy") or "—",
                                                  "new": data.get("new_policy") or "—"}]
    for clock, key in (("response", "response_due_at"), ("resolution", "resolution_due_at")):
        if data.get(key):
            details.append(_("%(clock)s due %(when)s") % {
                "clock": CLOCK_NAMES[clock](), "when": _local_time(data[key])})
    return title, "", details


def _describe_other(event, labels, incident):
    try:
        title = str(EventKind(event.kind).label)
    except ValueError:
        title = event.kind
    return capfirst(title), event.new_value


DESCRIBERS = {
    EventKind.CREATED: _describe_created,
    EventKind.TRANSITION: _describe_transition,
    EventKind.FIELD: _describe_field,
    EventKind.ASSIGNMENT: _describe_assignment,
    EventKind.ATTACHMENT: _describe_attachment,
    EventKind.COLLABORATOR: _describe_people,
    EventKind.SLA: _describe_sla,
}


def _status(value) -> str:
    return str(Status(value).label) if value else "—"


# History fields that are not columns of Incident: who writes them, and their label.
EXTRA_FIELD_LABELS = {
    "knowledge_article": lambda: _("Knowledge article"),  # knowledge.incident_article_link
    "major_incident": lambda: _("Major incident"),  # major: candidate, declared, rejected…
    "affected_people": lambda: _("Affected people"),  # major: "affects me too"
    "task": lambda: _("Task"),  # collab: a task for another group
    "satisfaction_follow_up": lambda: _("Satisfaction follow-up"),  # surveys: a low score
}


def _major_state_label(raw) -> str:
    from opsdesk.major.models import MajorState

    try:
        return str(MajorState(raw).label)
    except ValueError:
        return str(raw)


# History values of those fields that are codes of their own: their label.
EXTRA_FIELD_VALUES = {"major_incident": _major_state_label}


def _field_label(name: str) -> str:
    if name in EXTRA_FIELD_LABELS:  # history written by the apps built on incidents
        return EXTRA_FIELD_LABELS[name]()
    try:
        return capfirst(str(Incident._meta.get_field(name).verbose_name))
    except FieldDoesNotExist:
        return name
