"""The live operations and support group dashboards on a small story counted by hand.

"Now" is Wednesday 2026-11-25 10:00 Shanghai; the week began Monday 11-23 00:00. P1 and P2 run
on 7×24 (P1 15 min / 4 h, P2 30 min / 8 h), P3 on 5×8 (2 working hours / 1 working day). The
SLA tick runs at 11-24 09:31, 11-25 01:16 and 04:01, as the worker would.

H  P3 NET2 engineer  Thu 11-19 10:00 · resolved 11:00 · closed: last week, counts nowhere
I  P3 NET2 nobody    Sat 11-21 10:00 assigned to the group only; response due Mon 11:00 and
                     resolution Mon 18:00 both breached (tick 11-24) · open, 96 h old
E  P4 APP2           Mon 11-23 10:00 · accepted · pending, awaiting the user (clock paused)
F  P2 NET2 engineer  Tue 11-24 09:00 · response due 09:30 breached (tick 09:31) · accepted
                     09:40 · resolved 10:00 · closed 11:00
C  P2 APP2           Tue 11-24 20:00 · accepted 20:10 · resolution due 04:00 breached (tick)
G  P1 NET2 engineer  Wed 11-25 01:00 · response due 01:15 breached (tick 01:16) · accepted
                     01:20 · resolved 03:00
B  P2 NET2 engineer2 Wed 02:30 · accepted 02:40 · resolution due 10:30: at risk
D  P3 no group       Wed 09:30 · response due 11:30: not within the hour
A  P1 NET2 engineer  Wed 09:50 assigned 09:52 (no response yet) · response due 10:05: at risk;
                     declared a major incident

Live operations: open A B C D E I = 6 (P1 1, P2 2, P3 2, P4 1; NET2 A B I, APP2 C E, no group
D); unassigned D; at risk A (response, P1) and B (resolution, P2); today's breaches G (response,
P1) and C (resolution, P2); one major incident running.
NET2: open A (assigned, engineer), B (in progress, engineer2), I (assigned, nobody, 72–168 h);
at risk A B; breached this week F G I; resolved this week F G (both engineer).
"""

import json
import re
from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from opsdesk.core.testing.factories import UserFactory, incident_factory
from opsdesk.incidents.services import incident_transition
from opsdesk.major.services import major_declare
from opsdesk.measures import dashboards
from opsdesk.reference.models import ClosureCode, PendingReason, Priority, ResolutionCode
from opsdesk.sla.tick import sla_tick_run

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=SHANGHAI)


def sh(day, hour, minute=0):
    return datetime(2026, 11, day, hour, minute, tzinfo=SHANGHAI)


def log(org, when, priority, **data):
    with time_machine.travel(when, tick=False):
        return incident_factory(by=org.desk, requester=org.requester,
                                priority=Priority.objects.get(pk=priority),
                                priority_override_reason="Dashboard test", **data)


def act(org, incident, when, action, by=None, **params):
    with time_machine.travel(when, tick=False):
        return incident_transition(incident=incident, action=action, by=by or org.manager,
                                   **params)


def assign(org, incident, when, group, assignee=None):
    return act(org, incident, when, "assign", assignment_group=org.groups[group],
               assignee=assignee)


def resolve(org, incident, when):
    return act(org, incident, when, "resolve", resolution="Fixed",
               resolution_code=ResolutionCode.objects.get(pk="01"))


def close(org, incident, when):
    return act(org, incident, when, "close", by=org.desk,
               closure_code=ClosureCode.objects.get(pk="01"))


def tick(when):
    with time_machine.travel(when, tick=False):
        sla_tick_run()


@pytest.fixture
def story(org):
    engineer2 = UserFactory(username="engineer2", is_engineer=True)
    org.groups["NET2"].members.add(engineer2)
    h = log(org, sh(19, 10), 3)
    assign(org, h, sh(19, 10, 5), "NET2", org.engineer)
    resolve(org, h, sh(19, 11))
    close(org, h, sh(19, 12))
    i = log(org, sh(21, 10), 3)
    assign(org, i, sh(21, 10, 5), "NET2")
    e = log(org, sh(23, 10), 4)
    assign(org, e, sh(23, 10, 5), "APP2", org.other_engineer)
    act(org, e, sh(23, 10, 10), "accept")
    act(org, e, sh(23, 11), "pend", pending_reason=PendingReason.objects.get(pk="01"))
    f = log(org, sh(24, 9), 2)
    assign(org, f, sh(24, 9, 5), "NET2", org.engineer)
    tick(sh(24, 9, 31))
    act(org, f, sh(24, 9, 40), "accept")
    resolve(org, f, sh(24, 10))
    close(org, f, sh(24, 11))
    c = log(org, sh(24, 20), 2)
    assign(org, c, sh(24, 20, 5), "APP2", org.other_engineer)
    act(org, c, sh(24, 20, 10), "accept")
    g = log(org, sh(25, 1), 1)
    assign(org, g, sh(25, 1, 2), "NET2", org.engineer)
    tick(sh(25, 1, 16))
    act(org, g, sh(25, 1, 20), "accept")
    resolve(org, g, sh(25, 3))
    b = log(org, sh(25, 2, 30), 2)
    assign(org, b, sh(25, 2, 35), "NET2", engineer2)
    act(org, b, sh(25, 2, 40), "accept", by=engineer2)
    tick(sh(25, 4, 1))
    d = log(org, sh(25, 9, 30), 3)
    a = log(org, sh(25, 9, 50), 1)
    assign(org, a, sh(25, 9, 52), "NET2", org.engineer)
    with time_machine.travel(sh(25, 9, 55), tick=False):
        major_declare(incident=a, by=org.manager)
    return type("Story", (), {"a": a, "b": b, "c": c, "d": d, "e": e, "f": f, "g": g, "h": h,
                              "i": i, "engineer2": engineer2})


def numbers(*incidents) -> set[str]:
    return {i.number for i in incidents}


def browser(user):
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(user)
    return client


def listed(client, url: str) -> set[str]:
    """The incident numbers the workspace list at url shows (first page)."""
    page = client.get(url.replace("&amp;", "&"))
    assert page.status_code == 200, (url, page.content.decode()[:500])
    return set(re.findall(r'data-number="([^"]+)"', page.content.decode()))


def figure_links(page: str) -> dict[str, str]:
    """Each figure's label → its link (the cards above the charts)."""
    found = re.findall(r'<a class="dash-figure[^"]*" href="([^"]+)"[^>]*><span class="dash-n">'
                       r'(\d+)</span> <span class="dash-what">([^<]+)</span>', page)
    return {label: (href.replace("&amp;", "&"), int(n)) for href, n, label in found}


def table_cells(page: str, title: str) -> dict[str, list[tuple[str, str | None]]]:
    """A chart's numbers table: row label → [(text, link)] per series."""
    figure = page.split(f">{escape(title)}</figcaption>", 1)[1].split("</figure>", 1)[0]
    rows = {}
    for label, cells in re.findall(r'<tr><th scope="row">(.*?)</th>(.*?)</tr>', figure, re.S):
        rows[label] = [(re.sub(r"<[^>]+>", "", c), (re.findall(r'href="([^"]+)"', c) or [None])[0])
                       for c in re.findall(r"<td[^>]*>(.*?)</td>", cells, re.S)]
    return rows


# -- the figures, counted by hand ------------------------------------------------------------------

def test_live_operations_figures(story, org):
    with time_machine.travel(NOW, tick=False):
        live = dashboards.live_ops(user=org.manager)
    assert live.open_total == 6
    assert live.open_by_priority() == {1: 1, 2: 2, 3: 2, 4: 1}
    net2, app2 = org.groups["NET2"].pk, org.groups["APP2"].pk
    assert live.open_cells == {(net2, 1): 1, (net2, 2): 1, (net2, 3): 1, (app2, 2): 1,
                               (app2, 4): 1, (None, 3): 1}
    assert [g.code if g else None for g in live.groups()] == ["APP2", "NET2", None]
    assert live.unassigned == 1
    assert live.risk_total == 2
    assert live.risk_by_priority[1] == {"response": 1, "resolution": 0}
    assert live.risk_by_priority[2] == {"response": 0, "resolution": 1}
    assert live.breaches_total == 2
    assert live.breaches_by_priority == {1: {"response": 1, "resolution": 0},
                                         2: {"response": 0, "resolution": 1}}
    assert live.majors == {"declared": 1, "candidate": 0}
    assert [(r.number, r.clock) for r in live.at_risk] == [(story.a.number, "response"),
                                                           (story.b.number, "resolution")]


def test_group_queue_figures(story, org):
    with time_machine.travel(NOW, tick=False):
        queue = dashboards.group_queue(user=org.engineer, group=org.groups["NET2"])
    assert queue.status_age == {(20, 0): 1, (30, 0): 1, (20, 2): 1, (20, 1): 0, (20, 3): 0,
                                (20, 4): 0, (30, 1): 0, (30, 2): 0, (30, 3): 0, (30, 4): 0}
    assert (queue.open_total, queue.no_assignee, queue.at_risk) == (3, 1, 2)
    assert (queue.breached_week, queue.resolved_week) == (3, 2)
    assert [(m.user.username, m.open, m.resolved_week) for m in queue.members] == [
        ("engineer", 1, 2), ("engineer2", 1, 0)]
    assert queue.others_open == 0


# -- the pages: every number links to exactly the incidents it counts ------------------------------

def test_live_operations_page_links_lead_to_the_incidents_counted(story, org):
    client = browser(org.manager)
    with time_machine.travel(NOW, tick=False):
        page = client.get("/dashboards/operations/").content.decode()
        figures = figure_links(page)
        expected = {
            "open incidents": (6, numbers(story.a, story.b, story.c, story.d, story.e, story.i)),
            "unassigned": (1, numbers(story.d)),
            "SLA at risk in the next hour": (2, numbers(story.a, story.b)),
            "SLA breaches today": (2, numbers(story.g, story.c)),
        }
        for label, (count, incidents) in expected.items():
            url, shown = figures[label]
            assert shown == count, label
            assert listed(client, url) == incidents, label
        assert figures["major incidents running"][1] == 1
        by_group = table_cells(page, "Open incidents by group and priority")
        net2 = by_group[org.groups["NET2"].name]
        assert [text for text, _url in net2] == ["1", "1", "1", "0"]
        assert listed(client, net2[2][1]) == numbers(story.i)
        assert listed(client, by_group["No group"][2][1]) == numbers(story.d)
        by_priority = table_cells(page, "Open incidents by priority")
        assert [cells[0][0] for cells in by_priority.values()] == ["1", "2", "2", "1"]
        p2_link = list(by_priority.values())[1][0][1]
        assert listed(client, p2_link) == numbers(story.b, story.c)
        risk = table_cells(page, "SLA at risk in the next hour, by priority")
        p1_risk = list(risk.values())[0]
        assert [text for text, _url in p1_risk] == ["1", "0"]
        assert listed(client, p1_risk[0][1]) == numbers(story.a)
        breaches = table_cells(page, "SLA breaches today, by priority")
        p2_breach = list(breaches.values())[1]
        assert [text for text, _url in p2_breach] == ["0", "1"]
        assert listed(client, p2_breach[1][1]) == numbers(story.c)
    assert story.a.number in page.split("Due next", 1)[1]


def test_group_page_links_lead_to_the_incidents_counted(story, org):
    client = browser(org.engineer)
    with time_machine.travel(NOW, tick=False):
        assert client.get("/dashboards/groups/")["Location"] == "/dashboards/groups/NET2/"
        page = client.get("/dashboards/groups/NET2/").content.decode()
        figures = figure_links(page)
        expected = {
            "open in the group": (3, numbers(story.a, story.b, story.i)),
            "not taken by anyone": (1, numbers(story.i)),
            "SLA at risk in the next hour": (2, numbers(story.a, story.b)),
            "SLA breaches this week": (3, numbers(story.f, story.g, story.i)),
            "resolved this week": (2, numbers(story.f, story.g)),
        }
        for label, (count, incidents) in expected.items():
            url, shown = figures[label]
            assert shown == count, label
            assert listed(client, url) == incidents, label
        age = table_cells(page, "Open incidents by status and age")
        assert [text for text, _url in age["Assigned"]] == ["1", "0", "1", "0", "0"]
        assert listed(client, age["Assigned"][2][1]) == numbers(story.i)
        assert listed(client, age["Assigned"][0][1]) == numbers(story.a)
        load = table_cells(page, "Members' load")
        engineer = load[org.engineer.label]
        assert [text for text, _url in engineer] == ["1", "2"]
        assert listed(client, engineer[0][1]) == numbers(story.a)
        assert listed(client, engineer[1][1]) == numbers(story.f, story.g)


# -- who sees what ---------------------------------------------------------------------------------

@pytest.mark.parametrize("role, status", [
    ("requester", 404), ("engineer", 404), ("desk", 200), ("manager", 200), ("owner", 200),
    ("admin", 200)])
def test_live_operations_for_managers_desk_owners_admins(org, role, status):
    assert browser(getattr(org, role)).get("/dashboards/operations/").status_code == status


@pytest.mark.parametrize("role, code, status", [
    ("engineer", "NET2", 200), ("engineer", "APP2", 404), ("other_engineer", "APP2", 200),
    ("requester", "NET2", 404), ("desk", "NET2", 404), ("desk", "DESK", 200),
    ("manager", "APP2", 200), ("owner", "NET3", 200), ("admin", "NET2", 200),
    ("manager", "NOPE", 404)])
def test_group_dashboard_for_its_members_lead_and_managers(org, role, code, status):
    assert browser(getattr(org, role)).get(f"/dashboards/groups/{code}/").status_code == status


def test_the_group_lead_sees_the_group_they_lead(org):
    lead = UserFactory(username="lead")
    group = org.groups["APP2"]
    group.manager = lead
    group.save()
    client = browser(lead)
    assert client.get("/dashboards/groups/APP2/").status_code == 200
    assert client.get("/dashboards/groups/NET2/").status_code == 404


@pytest.mark.parametrize("role, status", [
    ("requester", 404), ("engineer", 404), ("desk", 404), ("manager", 200), ("owner", 200),
    ("admin", 200)])
def test_process_dashboard_for_owners_managers_admins(org, role, status):
    assert browser(getattr(org, role)).get("/dashboards/process/").status_code == status


def test_dashboards_home_lists_what_each_may_open(org):
    assert browser(org.requester).get("/dashboards/").status_code == 404
    engineer = browser(org.engineer).get("/dashboards/").content.decode()
    assert "/dashboards/groups/" in engineer and "/dashboards/operations/" not in engineer
    owner = browser(org.owner).get("/dashboards/").content.decode()
    assert all(p in owner for p in ("/dashboards/operations/", "/dashboards/groups/",
                                    "/dashboards/process/"))


# -- queries ---------------------------------------------------------------------------------------

def _queries(client, url) -> int:
    client.get(url)  # warm the in-process lookups and the session
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_live_operations_queries_do_not_grow_with_rows(story, org):
    client = browser(org.manager)
    with time_machine.travel(NOW, tick=False):
        before = _queries(client, "/dashboards/operations/")
        for n in range(5):
            incident = log(org, sh(25, 9, 40 + n), 2)
            assign(org, incident, sh(25, 9, 41 + n), "APP2", org.other_engineer)
        assert _queries(client, "/dashboards/operations/") == before
    assert before <= 8  # session, user, open figures, breaches, majors, at-risk list, approvals


def test_group_queries_do_not_grow_with_rows(story, org):
    client = browser(org.engineer)
    with time_machine.travel(NOW, tick=False):
        before = _queries(client, "/dashboards/groups/NET2/")
        for n in range(3):
            member = UserFactory(username=f"member{n}", is_engineer=True)
            org.groups["NET2"].members.add(member)
            incident = log(org, sh(25, 9, 40 + n), 3)
            assign(org, incident, sh(25, 9, 41 + n), "NET2", member)
        assert _queries(client, "/dashboards/groups/NET2/") == before
    assert before <= 10  # session, user, my groups, watched, collaborating, open, week, members,
    # and the approvals badge of the navigation


# -- the process dashboard, on the KPI engine's hand-counted week (story.py, test_kpis.py) --------

@pytest.fixture
def week(org):
    from opsdesk.measures.rollups import rollup_tick

    from .story import story_build

    built = story_build(org)
    rollup_tick()
    return built


MARCH = "/dashboards/process/?start=2025-03-01&end=2025-03-31"
NOON = datetime(2025, 3, 5, 12, 0, tzinfo=SHANGHAI)


def test_process_dashboard_shows_the_kpis_against_targets_with_their_incidents(week, org):
    client = browser(org.owner)
    with time_machine.travel(NOON, tick=False):
        page = client.get(MARCH).content.decode()
        rates = table_cells(page, "Rates against their targets (green: met, red: missed)")
        response = rates["Response on time (target ≥ 95.0 %)"]
        assert response[0][0] == "33.3%"  # 2 of 6 decided: A and C met
        assert listed(client, response[0][1]) == {week.numbers[x] for x in "ABCDEI"}
        resolution = rates["Resolution on time (SLA attainment) (target ≥ 90.0 %)"]
        assert resolution[0][0] == "75%"  # A, C and D of A B C D
        assert listed(client, resolution[0][1]) == {week.numbers[x] for x in "ABCD"}
        assert rates["Reopen rate (target ≤ 5.0 %)"][0][0] == "33.3%"  # C of A C D
        spec = json_spec(page, "Rates against their targets")
        colours = dict(zip(spec["labels"], spec["series"][0]["colors"]))
        assert colours["First-assignment success (target ≥ 90.0 %)"] == "#b91c1c"  # 80 % missed
        assert colours["Functional escalation rate (target ≤ 20.0 %)"] == "#047857"  # 14.3 % met
        cards = dict(re.findall(r'<a class="dash-n" href="[^"]+">([^<]+)</a>\s*'
                                r'<a class="dash-what" href="[^"]+">([^<]+)</a>', page))
        assert {name: value for value, name in cards.items()} == {
            "Mean time to resolve (business time)": "3.83 h",  # 13800 s
            "Median time to resolve (business time)": "3.00 h",
            "Mean time to respond (business time)": "1.06 h",  # 3825 s
            "Satisfaction (mean score)": "3.50", "Volume": "7", "Backlog": "3"}
        volume = table_cells(page, "Volume, last 12 months")
        assert volume["2025-03"][0][0] == "7" and volume["2025-02"][0][0] == "1"  # G in Feb
        assert listed(client, volume["2025-03"][0][1]) == {week.numbers[x] for x in "ABCDEFI"}
        channels = table_cells(page, "Volume by channel")
        assert {label: cells[0][0] for label, cells in channels.items()} == {
            "Phone": "3", "Email": "1", "Self-service portal": "2",
            "Instant messaging (WeCom/DingTalk/Feishu)": "1"}
        assert listed(client, channels["Phone"][0][1]) == {week.numbers[x] for x in "ADF"}
        by_priority = table_cells(page, "Mean time to resolve (business time) by priority")
        assert list(by_priority)[0].startswith("P1")  # in priority order, P1 first


def test_process_dashboard_filters_and_bad_filters(week, org):
    client = browser(org.owner)
    with time_machine.travel(NOON, tick=False):
        page = client.get(MARCH + "&group=NET2").content.decode()
        volume = table_cells(page, "Volume, last 12 months")
        assert volume["2025-03"][0][0] == "1"  # D only: C moved on to NET3
        bad = client.get("/dashboards/process/?start=yesterday&priority=9")
    assert bad.status_code == 422
    assert "Enter a date such as 2026-03-31." in bad.content.decode()


def test_process_dashboard_queries_do_not_grow_with_rows(week, org):
    from opsdesk.measures.rollups import rollup_tick

    client = browser(org.owner)
    with time_machine.travel(NOON, tick=False):
        before = _queries(client, MARCH)
        for n in range(4):
            log(org, datetime(2025, 3, 4, 9, n, tzinfo=SHANGHAI), 2)
        rollup_tick()
        assert _queries(client, MARCH) == before
    assert before <= 32  # session, user, approvals; the KPIs (targets, sums, a median per column,
    # surveys, deflection, backlog); per trend and per breakdown the targets and one GROUP BY


def json_spec(page: str, title_start: str) -> dict:
    blocks = re.findall(r'<script id="[^"]+" type="application/json">(.*?)</script>', page, re.S)
    for body in blocks:
        spec = json.loads(body)
        if spec["title"].startswith(title_start):
            return spec
    raise AssertionError(title_start)
