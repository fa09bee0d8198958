"""What a new review starts with: the impact and a timeline drawn from what was recorded.

Everything here reads; the services write it. Lines are written in the active language, once:
after that they are the authors' text, edited like any other.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from opsdesk.cmdb.models import Service
from opsdesk.incidents.choices import Action, EventKind, Status
from opsdesk.incidents.models import Comment, Incident, IncidentEvent
from opsdesk.intake.models import Alert
from opsdesk.major.models import AffectedPerson, MajorIncident, MajorUpdate

from .models import TimelineSource

# A long work note is cut in the timeline: the review keeps the gist, the incident the rest.
LINE_LENGTH = 300
# A review of a very large outage stays readable: at most this many generated lines.
MAX_LINES = 300
# History that tells the story of the outage; field edits and files are left out.
STORY_KINDS = (EventKind.CREATED, EventKind.TRANSITION, EventKind.ASSIGNMENT, EventKind.SLA,
               EventKind.COMMENT)


@dataclass(frozen=True)
class Line:
    """A generated timeline line, before it is stored."""

    at: datetime
    text: str
    source: str


@dataclass(frozen=True)
class Impact:
    """Who and what was affected, and for how long, counted over the master and its children."""

    started_at: datetime | None
    ended_at: datetime | None
    services: list[str]
    users: int
    departments: int

    def describe(self) -> str:
        """One sentence for the review's impact field; the authors complete it."""
        services = "、".join(self.services) or _("(no service recorded)")
        text = ngettext("%(users)d user", "%(users)d users", self.users) % {"users": self.users}
        text += ngettext(" in %(departments)d department", " in %(departments)d departments",
                         self.departments) % {"departments": self.departments}
        text = _("%(people)s affected; services: %(services)s.") % {
            "people": text, "services": services}
        if self.started_at and self.ended_at:
            text += " " + _("Duration: %(duration)s.") % {
                "duration": duration_text(self.ended_at - self.started_at)}
        return text


def duration_text(delta: timedelta) -> str:
    """A duration as people say it: 2 h 05 min."""
    minutes = max(0, int(delta.total_seconds() // 60))
    hours, minutes = divmod(minutes, 60)
    if hours:
        return _("%(hours)d h %(minutes)02d min") % {"hours": hours, "minutes": minutes}
    return _("%(minutes)d min") % {"minutes": minutes}


def impact_of(incident: Incident) -> Impact:
    """The master, its children and the people attached to it ("affects me too")."""
    family = Incident.objects.filter(Q(pk=incident.pk) | Q(parent=incident))
    rows = list(family.values("requester_id", "requester_department_id", "service_id",
                              "occurred_at", "registered_at"))
    affected = list(AffectedPerson.objects.filter(incident=incident)
                    .values("user_id", "department_id"))
    users = {r["requester_id"] for r in rows} | {a["user_id"] for a in affected}
    departments = ({r["requester_department_id"] for r in rows}
                   | {a["department_id"] for a in affected}) - {None}
    service_ids = {r["service_id"] for r in rows} - {None}
    service_ids |= set(MajorIncident.services.through.objects.filter(
        majorincident__incident=incident).values_list("service_id", flat=True))
    names = sorted(str(s) for s in Service.objects.filter(pk__in=service_ids))
    starts = [r["occurred_at"] or r["registered_at"] for r in rows]
    return Impact(started_at=min(starts) if starts else None,
                  ended_at=incident.resolved_at, services=names, users=len(users),
                  departments=len(departments))


def timeline_lines(incident: Incident, *, after: datetime | None = None) -> list[Line]:
    """The master's story from its history, its children's reports, alerts and major updates.

    after: only what happened later (a refresh of an existing review).
    """
    updates = _major_lines(incident, after)
    # A public major update is also a reply on the master: the update tells it once.
    told = {line.text.split(": ", 1)[-1] for line in updates}
    lines = (updates + _history_lines(incident, after, told) + _child_lines(incident, after)
             + _alert_lines(incident, after))
    lines.sort(key=lambda line: line.at)
    return lines[:MAX_LINES]


def _since(after, field: str) -> Q:
    return Q(**{f"{field}__gt": after}) if after is not None else Q()


def _history_lines(incident, after, told: set[str]) -> list[Line]:
    events = (IncidentEvent.objects.filter(_since(after, "at"), incident=incident,
                                           kind__in=STORY_KINDS)
              .select_related("actor").order_by("at", "id"))
    comments = {c.pk: c for c in Comment.objects.filter(_since(after, "created_at"),
                                                        incident=incident)}
    lines = []
    for event in events:
        if event.kind == EventKind.COMMENT and _comment_body(event, comments) in told:
            continue
        text = _describe(event, comments)
        if text:
            lines.append(Line(event.at, text, TimelineSource.HISTORY))
    return lines


def _describe(event, comments) -> str:
    actor = str(event.actor) if event.actor_id else _("the system")
    if event.kind == EventKind.CREATED:
        return _("%(actor)s logged the incident.") % {"actor": actor}
    if event.kind == EventKind.TRANSITION:
        return _transition_text(event, actor)
    if event.kind == EventKind.ASSIGNMENT:
        data = event.data or {}
        verb = _("escalated to") if data.get("escalation") else _("assigned to")
        return _("%(actor)s %(verb)s %(target)s.") % {
            "actor": actor, "verb": verb, "target": event.new_value or _("nobody")}
    if event.kind == EventKind.SLA:
        return _sla_text(event)
    body = _comment_body(event, comments)
    if (event.data or {}).get("visibility") == "internal":
        return _("Work note by %(actor)s: %(text)s") % {"actor": actor, "text": body}
    return _("Reply by %(actor)s: %(text)s") % {"actor": actor, "text": body}


def _comment_body(event, comments) -> str:
    comment = comments.get((event.data or {}).get("comment_id"))
    return _cut(comment.body if comment else event.new_value)


def _transition_text(event, actor) -> str:
    try:
        action = str(Action(event.action).label)
    except ValueError:
        action = event.action
    text = _("%(actor)s: %(action)s (%(from)s → %(to)s).") % {
        "actor": actor, "action": action, "from": _status(event.from_status),
        "to": _status(event.to_status)}
    if event.new_value:
        text += " " + _cut(event.new_value)
    return text


def _sla_text(event) -> str:
    data = event.data or {}
    if data.get("escalation"):
        return _("Escalated (%(kind)s).") % {"kind": data["escalation"]}
    if data.get("crossing") == "breached":
        return _("The %(clock)s target was breached.") % {"clock": data.get("clock", "")}
    return ""


def _status(value) -> str:
    try:
        return str(Status(value).label)
    except ValueError:
        return "—"


def _child_lines(incident, after) -> list[Line]:
    children = (Incident.objects.filter(_since(after, "registered_at"), parent=incident)
                .select_related("requester").order_by("registered_at", "id")[:MAX_LINES])
    return [Line(child.registered_at, _("%(number)s reported by %(person)s: %(text)s") % {
        "number": child.number, "person": child.requester, "text": _cut(child.short_description)},
        TimelineSource.CHILD) for child in children]


def _alert_lines(incident, after) -> list[Line]:
    family = Incident.objects.filter(Q(pk=incident.pk) | Q(parent=incident)).values("pk")
    alerts = Alert.objects.filter(incident__in=family).order_by("first_seen_at", "id")
    lines = []
    for alert in alerts[:MAX_LINES]:
        fired = alert.starts_at or alert.first_seen_at
        if after is None or fired > after:
            lines.append(Line(fired, _("Alert fired: %(summary)s") % {
                "summary": _cut(alert.summary)}, TimelineSource.ALERT))
        if alert.resolved_at and (after is None or alert.resolved_at > after):
            lines.append(Line(alert.resolved_at, _("Alert resolved: %(summary)s") % {
                "summary": _cut(alert.summary)}, TimelineSource.ALERT))
    return lines


def _major_lines(incident, after) -> list[Line]:
    major = MajorIncident.objects.select_related("manager").filter(incident=incident).first()
    if major is None:
        return []
    lines = []
    if major.declared_at and (after is None or major.declared_at > after):
        lines.append(Line(major.declared_at, _("Declared a major incident; manager: "
                                               "%(manager)s.") % {
            "manager": major.manager or "—"}, TimelineSource.UPDATE))
    updates = MajorUpdate.objects.filter(_since(after, "created_at"), major=major)
    for update in updates.select_related("author").order_by("created_at", "id")[:MAX_LINES]:
        lines.append(Line(update.created_at, _("Status update: %(text)s") % {
            "text": _cut(update.text)}, TimelineSource.UPDATE))
    return lines


def _cut(text: str) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= LINE_LENGTH else text[:LINE_LENGTH - 1] + "…"
