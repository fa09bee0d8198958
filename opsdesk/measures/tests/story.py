"""A small week of incidents whose KPIs were counted by hand (test_kpis.py has the counts).

Calendar: P3 and P4 on 5×8 (09–12 and 13–18 Shanghai, Monday to Friday), P1 and P2 on 7×24.
Everything happens through the real services, at the instants below, Monday 3 March 2025 on.

| id | P | source | category | service | requester | logged      | what happens                    |
|----|---|--------|----------|---------|-----------|-------------|---------------------------------|
| G  | 3 | phone  | PRINTER  | MAIL    | outsider  | Mon 24 Feb 10:00 | desk starts 10:15, resolves 11:00 at first contact |
| A  | 3 | phone  | PRINTER  | MAIL    | requester | Mon 08:30   | complete record; desk starts 09:30, resolves 10:00 (first contact), confirms 11:00 |
| B  | 3 | email  | PRINTER  | MAIL    | requester | Mon 13:30   | → NET2 13:40, handed back 13:50, → APP2 14:00, accepted 16:00 |
| C  | 3 | portal | BIZAPP   | ERP     | colleague | Mon 16:00   | → NET2 16:10, start 16:30, pend (user) 17:00, resume Tue 10:00, → NET3 Tue 10:30, resolved Tue 14:00, rejected Tue 15:00, resolved Wed 09:30 |
| D  | 1 | phone  | BIZAPP   | ERP     | outsider  | Mon 20:00   | complete record; → NET2 20:05, accepted 20:45, resolved 23:00, confirmed Tue 09:00 |
| E  | 4 | portal | PRINTER  | MAIL    | colleague | Tue 10:00   | nothing                         |
| F  | 3 | phone  | BIZAPP   | ERP     | requester | Tue 09:00   | cancelled 09:10                 |
| I  | 2 | chat   | BIZAPP   | ERP     | colleague | Wed 09:00   | nothing                         |

Then the SLA tick runs at Wed 5 March 11:00. Surveys: A scored 5, D scored 2. One KB
deflection on Tue 4 March.
"""

from datetime import datetime
from zoneinfo import ZoneInfo

import time_machine

from opsdesk.cmdb.models import Service
from opsdesk.core.testing.factories import LocationFactory, incident_factory
from opsdesk.incidents.models import Incident
from opsdesk.incidents.services import incident_transition
from opsdesk.reference.models import Category, PendingReason, Priority, ResolutionCode, Source

SHANGHAI = ZoneInfo("Asia/Shanghai")


def sh(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def at(moment: datetime):
    return time_machine.travel(moment, tick=False)


class Story:
    """The incidents by letter (fresh from the database), the groups and dimensions used."""

    def __init__(self, org):
        self.org = org
        self.numbers: dict[str, str] = {}
        self.mail = Service.objects.create(code="MAIL", name_zh="邮件", name_en="Mail")
        self.erp = Service.objects.create(code="ERP", name_zh="ERP", name_en="ERP")
        self.printer = Category.objects.get(path="HW.PRINTER")
        self.bizapp = Category.objects.get(path="SW.BIZAPP")
        self.hardware = Category.objects.get(path="HW")

    def __getitem__(self, letter: str) -> Incident:
        return Incident.objects.get(number=self.numbers[letter])

    def log(self, letter, when, *, priority, source, category, service, requester,
            complete=False):
        data = dict(requester=requester, source=Source.objects.get(pk=source),
                    category=category, service=service, route=False,
                    short_description=f"Incident {letter}")
        if priority != 3:
            data.update(priority=Priority.objects.get(pk=priority),
                        priority_override_reason="Test priority")
        if complete:
            data.update(occurred_at=when, location=LocationFactory(),
                        description=f"What happened to {letter}.")
        with at(when):
            incident = incident_factory(by=self.org.desk, **data)
        self.numbers[letter] = incident.number
        return incident

    def act(self, letter, action, when, by=None, **params):
        with at(when):
            return incident_transition(incident=self[letter], action=action,
                                       by=by or self.org.manager, **params)

    def resolve(self, letter, when, by=None):
        return self.act(letter, "resolve", when, by=by, resolution="Fixed",
                        resolution_code=ResolutionCode.objects.get(pk="01"))


def story_build(org) -> Story:
    """The week of the module docstring, the SLA tick at Wed 11:00 included."""
    s, g = Story(org), org.groups
    s.log("G", sh(2025, 2, 24, 10, 0), priority=3, source="01", category=s.printer,
          service=s.mail, requester=org.outsider)
    s.act("G", "start", sh(2025, 2, 24, 10, 15), by=org.desk)
    s.resolve("G", sh(2025, 2, 24, 11, 0), by=org.desk)

    s.log("A", sh(2025, 3, 3, 8, 30), priority=3, source="01", category=s.printer,
          service=s.mail, requester=org.requester, complete=True)
    s.act("A", "start", sh(2025, 3, 3, 9, 30), by=org.desk)
    s.resolve("A", sh(2025, 3, 3, 10, 0), by=org.desk)
    s.act("A", "confirm", sh(2025, 3, 3, 11, 0), by=org.desk)

    s.log("B", sh(2025, 3, 3, 13, 30), priority=3, source="02", category=s.printer,
          service=s.mail, requester=org.requester)
    s.act("B", "assign", sh(2025, 3, 3, 13, 40), assignment_group=g["NET2"])
    s.act("B", "hand_back", sh(2025, 3, 3, 13, 50), reason="Not ours")
    s.act("B", "assign", sh(2025, 3, 3, 14, 0), assignment_group=g["APP2"])
    s.act("B", "accept", sh(2025, 3, 3, 16, 0))

    s.log("C", sh(2025, 3, 3, 16, 0), priority=3, source="03", category=s.bizapp,
          service=s.erp, requester=org.colleague)
    s.act("C", "assign", sh(2025, 3, 3, 16, 10), assignment_group=g["NET2"])
    s.act("C", "start", sh(2025, 3, 3, 16, 30))
    s.act("C", "pend", sh(2025, 3, 3, 17, 0), pending_reason=PendingReason.objects.get(pk="01"))
    s.act("C", "resume", sh(2025, 3, 4, 10, 0))
    s.act("C", "assign", sh(2025, 3, 4, 10, 30), assignment_group=g["NET3"])
    s.resolve("C", sh(2025, 3, 4, 14, 0))
    s.act("C", "reject", sh(2025, 3, 4, 15, 0), by=org.colleague, reason="Still broken")
    s.resolve("C", sh(2025, 3, 5, 9, 30))

    s.log("D", sh(2025, 3, 3, 20, 0), priority=1, source="01", category=s.bizapp,
          service=s.erp, requester=org.outsider, complete=True)
    s.act("D", "assign", sh(2025, 3, 3, 20, 5), assignment_group=g["NET2"])
    s.act("D", "accept", sh(2025, 3, 3, 20, 45))
    s.resolve("D", sh(2025, 3, 3, 23, 0))
    s.act("D", "confirm", sh(2025, 3, 4, 9, 0), by=org.desk)

    s.log("F", sh(2025, 3, 4, 9, 0), priority=3, source="01", category=s.bizapp,
          service=s.erp, requester=org.requester)
    s.act("F", "cancel", sh(2025, 3, 4, 9, 10), by=org.desk, reason="Logged twice")
    s.log("E", sh(2025, 3, 4, 10, 0), priority=4, source="03", category=s.printer,
          service=s.mail, requester=org.colleague)
    s.log("I", sh(2025, 3, 5, 9, 0), priority=2, source="06", category=s.bizapp,
          service=s.erp, requester=org.colleague)

    from opsdesk.sla.tick import sla_tick_run

    with at(sh(2025, 3, 5, 11, 0)):
        sla_tick_run(now=sh(2025, 3, 5, 11, 0))
    _surveys(s, {"A": 5, "D": 2})
    _deflection(org, sh(2025, 3, 4, 11, 0))
    return s


def _surveys(s: Story, scores: dict) -> None:
    """The requesters' scores (the surveys app may already have scheduled the surveys)."""
    from opsdesk.surveys.models import Survey, SurveyState

    for letter, score in scores.items():
        incident = s[letter]
        Survey.objects.update_or_create(incident=incident, defaults={
            "requester": incident.requester, "state": SurveyState.ANSWERED,
            "closed_at": incident.closed_at, "send_after": incident.closed_at,
            "expires_at": incident.closed_at, "score": score, "scored_at": incident.closed_at,
            "answered_at": incident.closed_at})


def _deflection(org, when) -> None:
    from opsdesk.knowledge import services
    from opsdesk.knowledge.models import Deflection

    article = services.article_create(by=org.desk, data={
        "title": "Printer prints blank pages", "body": "Replace the toner.",
        "visibility": "public"})
    article = services.article_submit(article=article, by=org.desk)
    article = services.article_approve(article=article, by=org.owner)
    with at(when):
        services.deflection_record(user=org.requester, article=article)
    assert Deflection.objects.count() == 1
