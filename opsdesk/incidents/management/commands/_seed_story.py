"""What seed_incidents writes: one incident and the history that led to its status.

The incident's status fits its age (last year's are closed, today's mostly open). Its events
are the ones the services would have written on the way there (created, assignment and assign,
accept, pend/resume, resolve, confirm or cancel), and the timestamps, counters and SLA flags on
the incident agree with them.
"""

import random
from datetime import datetime, timedelta

from opsdesk.incidents.choices import Action, Channel, EventKind, Status
from opsdesk.incidents.models import Incident, IncidentEvent

from ._seed_world import World

# Status by age: (age limit in hours, weights of OPEN, RESOLVED, CLOSED, CANCELLED).
STATUS_BY_AGE = [(4, (85, 10, 3, 2)), (24, (60, 25, 12, 3)), (24 * 7, (25, 20, 50, 5)),
                 (24 * 30, (6, 4, 85, 5)), (float("inf"), (0.8, 0.2, 94, 5))]
OPEN_MIX = ((Status.LOGGED, Status.ASSIGNED, Status.IN_PROGRESS, Status.PENDING), (12, 23, 45, 20))
# Source code -> (weight, channel); the desk logs phone, email, walk-in and chat incidents.
SOURCES = {"01": (25, Channel.PHONE), "02": (20, Channel.EMAIL), "03": (30, Channel.WEB),
           "04": (12, Channel.ALERT), "05": (5, Channel.WEB), "06": (6, Channel.WEB),
           "07": (2, Channel.API)}
DESK_LOGGED = frozenset({"01", "02", "05", "06"})
IMPACTS, URGENCIES = ((1, 2, 3, 4), (3, 12, 25, 60)), ((1, 2, 3, 4), (4, 24, 57, 15))
# Wall-clock SLA targets by priority: response minutes, resolution hours.
RESPONSE_MINUTES = {1: 15, 2: 30, 3: 120, 4: 480}
RESOLUTION_HOURS = {1: 4, 2: 8, 3: 24, 4: 72}
RESPONSE_ACTIONS = frozenset({Action.ACCEPT, Action.START, Action.PEND, Action.RESOLVE})


class Rows:
    """Builds model instances through Model.__init__'s positional fast path.

    Keyword construction looks up a default for each of the incident's 60 fields on every row;
    here the defaults are taken once and each row only overrides what it sets. Callable
    defaults (now, list, dict) are evaluated once, so callers pass those fields explicitly.
    """

    def __init__(self, model):
        fields = model._meta.concrete_fields
        self.model, self.index = model, {f.attname: i for i, f in enumerate(fields)}
        self.defaults = [f.get_default() for f in fields]

    def make(self, values: dict):
        row = self.defaults.copy()
        index = self.index
        for name, value in values.items():
            row[index[name]] = value
        return self.model(*row)


class Builder:
    """Draws incidents and their events for one batch, from the batch's own random stream."""

    incident_rows = None
    event_rows = None

    def __init__(self, *, world: World, now: datetime, rng: random.Random):
        self.world, self.now, self.rng = world, now, rng
        if Builder.incident_rows is None:
            Builder.incident_rows, Builder.event_rows = Rows(Incident), Rows(IncidentEvent)
        self.sources = (list(SOURCES), [w for w, _c in SOURCES.values()])

    def pick(self, values, weights):
        return self.rng.choices(values, weights)[0]

    def build(self, *, pk, at: datetime, nature: str, number: str):
        """(incident, [event]) with consistent fields; pk may be None (the database assigns)."""
        w, rng = self.world, self.rng
        source = self.pick(*self.sources)
        alert = source == "04"
        topic = rng.choice(w.alert_topics) if alert else self.pick(*w.topics)
        requester, department = w.monitor if alert else w.requester(rng.random())
        impact, urgency = self.pick(*IMPACTS), self.pick(*URGENCIES)
        if alert:
            impact, urgency = min(impact, 2), min(urgency, 2)
        priority = w.matrix[(impact, urgency)]
        short, description = rng.choice(topic.texts)
        desk = rng.choice(w.desk)
        incident = self.incident_rows.make({
            "id": pk, "number": number, "registered_at": at, "updated_at": at,
            "status": Status.LOGGED, "channel": SOURCES[source][1], "source_id": source,
            "nature_id": nature, "owner_id": desk if source in DESK_LOGGED else None,
            "created_by_id": desk if source in DESK_LOGGED else (
                requester if source == "03" else None),
            "requester_id": requester, "requester_department_id": department,
            "location_id": rng.choice(w.locations),
            "occurred_at": at - timedelta(seconds=rng.randint(0, 5400)),
            "short_description": short, "description": description,
            "category_id": w.categories.get(topic.category),
            "service_id": rng.choice(topic.services), "impact_id": impact, "urgency_id": urgency,
            "priority_id": priority,
            "alert_ids": [f"am-{rng.getrandbits(40):010x}"] if alert else [],
            "response_due_at": at + timedelta(minutes=RESPONSE_MINUTES.get(priority, 480)),
            "resolution_due_at": at + timedelta(hours=RESOLUTION_HOURS.get(priority, 72)),
        })
        story = Story(self, incident, topic.group, desk)
        return incident, story.tell(self._status(at))

    def events(self, incident: Incident, story: list[dict]) -> list[IncidentEvent]:
        pk = incident.pk
        return [self.event_rows.make({"incident_id": pk, **event}) for event in story]

    def _status(self, registered_at: datetime) -> Status:
        age_hours = (self.now - registered_at).total_seconds() / 3600
        weights = next(w for limit, w in STATUS_BY_AGE if age_hours < limit)
        kind = self.pick(("open", Status.RESOLVED, Status.CLOSED, Status.CANCELLED), weights)
        return self.pick(*OPEN_MIX) if kind == "open" else kind


class Story:
    """The history of one incident up to its status, and the fields that history sets.

    Events get relative offsets first; if the story would run past now (a young incident),
    every offset is scaled down so the last event still lies in the past.
    """

    def __init__(self, builder: Builder, incident: Incident, group: str, desk: int):
        self.builder, self.incident, self.group, self.desk = builder, incident, group, desk
        self.rng, self.world = builder.rng, builder.world
        self.steps: list[tuple[float, dict]] = []
        self.clock = 0.0
        self.assigned_offset: float | None = None
        self.status = Status.LOGGED
        self.response_mean = RESPONSE_MINUTES.get(incident.priority_id, 480) * 60 * 0.4
        self.resolution_mean = RESOLUTION_HOURS.get(incident.priority_id, 72) * 3600 * 0.5

    def tell(self, target: Status) -> list[dict]:
        inc = self.incident
        self._event(0, EventKind.CREATED, inc.created_by_id, to_status=Status.LOGGED,
                    new_value=inc.number, channel=inc.channel)
        if target == Status.CANCELLED:
            self._transition(self.rng.expovariate(1 / self.response_mean), Action.CANCEL,
                             Status.CANCELLED, inc.requester_id,
                             new_value="不再需要 / no longer needed")
        elif target != Status.LOGGED:
            self._work(target)
        return self._finish()

    def _work(self, target: Status) -> None:
        fcr = target in (Status.RESOLVED, Status.CLOSED) and self.rng.random() < 0.25
        if fcr:
            self._transition(self.rng.expovariate(1 / self.response_mean), Action.START,
                             Status.IN_PROGRESS, self.desk)
        else:
            self._assign(self.group, first=True)
            if target == Status.ASSIGNED:
                return
            self._accept()
            if self.rng.random() < 0.06 and self.group in self.world.escalation:
                self._assign(self.world.escalation[self.group], first=False)
                self._accept()
        if target == Status.IN_PROGRESS:
            return
        if target == Status.PENDING or self.rng.random() < 0.1:
            self._pend(stay=target == Status.PENDING)
            if target == Status.PENDING:
                return
        self._resolve(fcr)
        if target == Status.CLOSED:
            self._close()

    def _assign(self, group: str, *, first: bool) -> None:
        inc, world = self.incident, self.world
        group_id, members = world.groups[group]
        assignee = self.rng.choice(members) if members and self.rng.random() < 0.5 else None
        old_group, old_assignee = world.group_code.get(inc.assignment_group_id), inc.assignee_id
        actor = self.desk if first else old_assignee
        inc.owner_id = inc.owner_id or self.desk
        inc.assignment_group_id, inc.assignee_id = group_id, assignee
        self.clock += self.rng.expovariate(
            1 / (self.response_mean if first else self.resolution_mean * 0.5))
        data = {"from_group": old_group, "to_group": group,
                "from_assignee": world.usernames.get(old_assignee),
                "to_assignee": world.usernames.get(assignee), "escalation": not first}
        self._event(0, EventKind.ASSIGNMENT, actor, field="assignment",
                    old_value=_assignment_text(old_group, data["from_assignee"]),
                    new_value=_assignment_text(group, data["to_assignee"]), data=data)
        self._transition(0, Action.ASSIGN, Status.ASSIGNED, actor, data={
            "group": group, "assignee": data["to_assignee"], "escalation": not first})
        if first:
            self.assigned_offset = self.clock
        else:
            inc.reassignment_count += 1
            inc.escalation_count += 1

    def _accept(self) -> None:
        """Accept; a group member taking an unassigned incident becomes its assignee."""
        inc = self.incident
        delay, data = self.rng.expovariate(1 / self.response_mean), {}
        if inc.assignee_id is None:
            inc.assignee_id = self.rng.choice(self.world.group_members(inc.assignment_group_id))
            data = {"assignee": self.world.usernames[inc.assignee_id]}
            self._event(delay, EventKind.FIELD, inc.assignee_id, field="assignee",
                        new_value=data["assignee"], channel=Channel.SYSTEM)
            delay = 0
        self._transition(delay, Action.ACCEPT, Status.IN_PROGRESS, inc.assignee_id, data=data)

    def _pend(self, *, stay: bool) -> None:
        reason = self.rng.choice(self.world.pending_reasons)
        actor = self.incident.assignee_id or self.desk
        self._transition(self.rng.expovariate(1 / self.resolution_mean), Action.PEND,
                         Status.PENDING, actor, data={"pending_reason": reason})
        if stay:
            self.incident.pending_reason_id = reason
            return
        self._transition(self.rng.expovariate(1 / (8 * 3600)), Action.RESUME,
                         Status.IN_PROGRESS, actor, data={"pending_reason": reason})

    def _resolve(self, fcr: bool) -> None:
        inc = self.incident
        code, text = self.rng.choice(self.world.resolutions)
        inc.resolution_code_id, inc.resolution = code, text
        inc.is_workaround = self.rng.random() < 0.08
        inc.first_contact_resolution = fcr
        self._transition(self.rng.expovariate(1 / self.resolution_mean), Action.RESOLVE,
                         Status.RESOLVED, inc.assignee_id or self.desk, data={
                             "resolution_code": code, "is_workaround": inc.is_workaround,
                             "first_contact_resolution": fcr})

    def _close(self) -> None:
        """Confirmed by the requester (60 %), the owner (30 %) or auto-closed after 3 days."""
        inc, roll = self.incident, self.rng.random()
        by_requester, auto = roll < 0.6, roll >= 0.9
        inc.closure_code_id = "09" if auto else ("02" if inc.is_workaround else "01")
        actor = None if auto else (inc.requester_id if by_requester else inc.owner_id)
        delay = 3 * 86400 if auto else self.rng.expovariate(1 / 86400)
        self._transition(delay, Action.CONFIRM, Status.CLOSED, actor,
                         channel=Channel.SYSTEM if auto else Channel.WEB,
                         data={"closure_code": inc.closure_code_id, "by_requester": by_requester})
        if by_requester and self.rng.random() < 0.4:
            inc.satisfaction_score = self.rng.choices((1, 2, 3, 4, 5), (2, 3, 10, 35, 50))[0]

    def _transition(self, delay, action, to_status, actor, **fields) -> None:
        fields.setdefault("data", {})
        self._event(delay, EventKind.TRANSITION, actor, action=action,
                    from_status=self.status, to_status=to_status, **fields)
        self.status = to_status

    def _event(self, delay: float, kind: str, actor, **fields) -> None:
        self.clock += delay
        fields.setdefault("channel", Channel.WEB)
        fields.setdefault("data", {})
        self.steps.append((self.clock, {"kind": kind, "actor_id": actor, **fields}))

    def _finish(self) -> list[dict]:
        """Place the offsets in time, then set the timestamps and flags the history implies."""
        inc, now = self.incident, self.builder.now
        room = (now - inc.registered_at).total_seconds() * 0.95
        scale = min(1.0, room / self.clock) if self.clock > 0 else 1.0
        events, first_response = [], None
        for offset, event in self.steps:
            at = event["at"] = inc.registered_at + timedelta(seconds=offset * scale)
            action = event.get("action")
            if first_response is None and action in RESPONSE_ACTIONS:
                first_response = at
            if action == Action.RESOLVE:
                inc.resolved_at = at
            elif action == Action.CONFIRM:
                inc.closed_at = at
            events.append(event)
        if self.assigned_offset is not None:
            inc.assigned_at = inc.registered_at + timedelta(seconds=self.assigned_offset * scale)
        inc.status, inc.first_response_at, inc.updated_at = self.status, first_response, at
        inc.response_breached = (first_response or now) > inc.response_due_at
        inc.resolution_breached = (inc.resolved_at or now) > inc.resolution_due_at
        return events


def _assignment_text(group, assignee) -> str:
    return " / ".join(part for part in (group, assignee) if part)
