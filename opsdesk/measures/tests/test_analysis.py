"""Process analysis on small histories counted by hand (the expected numbers are written out).

Five P2 incidents on the 7×24 calendar (business time = wall time), all acted on by the incident
manager, minutes after the incident was logged; "now" is Wednesday 2026-03-04 09:00 Shanghai:

A  Mon 03-02 09:00 logged · 09:10 assign NET2 · 10:10 accept · 11:10 pend (user) ·
   13:10 resume · 14:10 resolve · 15:10 confirm (closed)
   desk 10, NET2 queue 60, NET2 work 60 + 60, user 120 · open 310 · clock 190 · resolved 60
B  Mon 09:00 logged · 09:30 assign NET2 · 10:30 assign APP2 · 11:30 assign NET2 · 12:00 accept ·
   13:00 resolve (still resolved: 2640 min until now)
   desk 30, NET2 queue 60 + 30, APP2 queue 60, NET2 work 60 · open 240 · NET2 → APP2 → NET2
C  Mon 09:00 logged · 09:20 assign NET2 · 09:50 hand back · 10:00 assign APP2 · 10:30 accept ·
   11:00 pend (vendor) · 15:00 resume · 16:00 resolve (resolved 2460 min until now)
   desk 20 + 10, NET2 queue 30, APP2 queue 30, APP2 work 30 + 60, vendor 240 · open 420
E  Tue 03-03 09:00 logged by phone · 09:40 cancelled · desk 40 · open 40
F  Tue 09:00 logged · 09:15 assign NET2 · 09:45 accept · 11:45 resolve (1275 min until now)
   desk 15, NET2 queue 30, NET2 work 120 · open 165

All of them: open 1175 min; on the resolution clock 190 + 240 + 180 + 40 + 165 = 815 min.
D is a P3 on the 5×8 calendar: logged Fri 03-06 17:00, assigned to NET2 17:30, accepted Mon
03-09 09:30, resolved 11:30: NET2's queue held it 64 h on the wall clock but 1 business hour.
"""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from opsdesk.core.exceptions import InvalidInput, NotFound
from opsdesk.core.testing.factories import incident_factory
from opsdesk.incidents.services import incident_transition
from opsdesk.measures.analysis import (analysis_build, analysis_filters, analysis_records,
                                       findings, flow_of, stats_of)
from opsdesk.reference.models import PendingReason, Priority, ResolutionCode, Source

SHANGHAI = ZoneInfo("Asia/Shanghai")
MIN = 60
NOW = datetime(2026, 3, 4, 9, 0, tzinfo=SHANGHAI)
PERIOD = {"start": "2026-03-01", "end": "2026-03-10"}


def sh(day, hour, minute=0):
    return datetime(2026, 3, day, hour, minute, tzinfo=SHANGHAI)


def log(org, when, priority=2, **data):
    with time_machine.travel(when, tick=False):
        return incident_factory(by=org.desk, requester=org.requester,
                                priority=Priority.objects.get(pk=priority),
                                priority_override_reason="Analysis test", **data)


def act(org, incident, when, action, **params):
    with time_machine.travel(when, tick=False):
        return incident_transition(incident=incident, action=action, by=org.manager, **params)


def assign(org, incident, when, group):
    return act(org, incident, when, "assign", assignment_group=org.groups[group])


def pend(org, incident, when, reason):
    return act(org, incident, when, "pend", pending_reason=PendingReason.objects.get(pk=reason))


def resolve(org, incident, when):
    return act(org, incident, when, "resolve", resolution="Fixed",
               resolution_code=ResolutionCode.objects.get(pk="01"))


@pytest.fixture
def story(org):
    a = log(org, sh(2, 9))
    assign(org, a, sh(2, 9, 10), "NET2")
    act(org, a, sh(2, 10, 10), "accept")
    pend(org, a, sh(2, 11, 10), "01")
    act(org, a, sh(2, 13, 10), "resume")
    resolve(org, a, sh(2, 14, 10))
    act(org, a, sh(2, 15, 10), "confirm")

    b = log(org, sh(2, 9))
    assign(org, b, sh(2, 9, 30), "NET2")
    assign(org, b, sh(2, 10, 30), "APP2")
    assign(org, b, sh(2, 11, 30), "NET2")
    act(org, b, sh(2, 12), "accept")
    resolve(org, b, sh(2, 13))

    c = log(org, sh(2, 9))
    assign(org, c, sh(2, 9, 20), "NET2")
    act(org, c, sh(2, 9, 50), "hand_back", reason="Not a network problem")
    assign(org, c, sh(2, 10), "APP2")
    act(org, c, sh(2, 10, 30), "accept")
    pend(org, c, sh(2, 11), "02")
    act(org, c, sh(2, 15), "resume")
    resolve(org, c, sh(2, 16))

    e = log(org, sh(3, 9), source=Source.objects.get(pk="01"))
    act(org, e, sh(3, 9, 40), "cancel", reason="Works again")

    f = log(org, sh(3, 9))
    assign(org, f, sh(3, 9, 15), "NET2")
    act(org, f, sh(3, 9, 45), "accept")
    resolve(org, f, sh(3, 11, 45))

    d = log(org, sh(6, 17), priority=3)
    assign(org, d, sh(6, 17, 30), "NET2")
    act(org, d, sh(9, 9, 30), "accept")
    resolve(org, d, sh(9, 11, 30))
    return type("Story", (), {"a": a, "b": b, "c": c, "d": d, "e": e, "f": f})


def p2(org, **params):
    filters = analysis_filters(**{**PERIOD, "priority": "2", **params})
    return analysis_build(user=org.owner, filters=filters, now=NOW)


def rows(table):
    return {row.key: row for row in table}


def minutes(stats):
    """(count, total, mean, median, p90) in minutes."""
    return tuple(v if i == 0 else (None if v is None else v / MIN)
                 for i, v in enumerate((stats.count, stats.total, stats.mean, stats.median,
                                        stats.p90)))


def test_time_in_each_status(story, org):
    analysis = p2(org)
    assert analysis.incidents == 5
    statuses = rows(analysis.statuses)
    assert minutes(statuses["10"].business) == (5, 125, 25, 30, 40)  # 10 30 30 40 15
    assert minutes(statuses["20"].business) == (4, 300, 75, 60, 150)  # 60 150 60 30
    assert minutes(statuses["30"].business) == (4, 390, 97.5, 105, 120)  # 120 60 90 120
    assert minutes(statuses["35"].business) == (2, 360, 180, 180, 240)  # 120 240
    assert minutes(statuses["40"].business) == (4, 6435, 1608.75, 1867.5, 2640)
    assert statuses["10"].wall == statuses["10"].business  # 7×24: every second is business
    assert statuses["40"].share is None  # resolved is not time to resolution
    assert statuses["30"].share == 33.2  # 390 of 1175 minutes
    assert minutes(analysis.open.business) == (5, 1175, 235, 240, 420)  # 310 240 420 40 165
    assert analysis.open.clock == 815 * MIN  # waiting for the user or a vendor pauses it


def test_time_with_each_group_and_line(story, org):
    analysis = p2(org)
    groups = rows(analysis.groups)
    assert minutes(groups["NET2"].business) == (4, 630, 157.5, 150, 300)  # 300 150 30 150
    assert {k: v / MIN for k, v in groups["NET2"].parts.items()} == {
        "queue": 210, "work": 300, "pending": 120}
    assert minutes(groups["APP2"].business) == (2, 420, 210, 210, 360)  # 60 360
    assert {k: v / MIN for k, v in groups["APP2"].parts.items()} == {
        "queue": 90, "work": 90, "pending": 240}
    assert minutes(groups["-"].business)[:2] == (5, 125)  # the service desk, no group
    assert [row.key for row in analysis.groups] == ["NET2", "APP2", "-"]
    lines = rows(analysis.lines)
    assert [row.key for row in analysis.lines] == ["1", "2", "user", "vendor"]
    assert minutes(lines["1"].business)[:2] == (5, 125)
    assert minutes(lines["2"].business) == (4, 690, 172.5, 165, 210)  # 180 210 150 150
    assert (lines["user"].business.total, lines["vendor"].business.total) == (120 * MIN,
                                                                           240 * MIN)
    assert (lines["user"].clock, lines["vendor"].clock) == (0, 0)  # paused by the P2 policy
    assert lines["2"].share == 58.7  # 690 of 1175


def test_where_the_time_to_resolution_goes(story, org):
    analysis = p2(org)
    holders = rows(analysis.holders)
    assert [row.key for row in analysis.holders] == [
        "work:NET2", "vendor", "queue:NET2", "desk", "user", "queue:APP2", "work:APP2"]
    expected = {"work:NET2": (300, 25.5), "vendor": (240, 20.4), "queue:NET2": (210, 17.9),
                "desk": (125, 10.6), "user": (120, 10.2), "queue:APP2": (90, 7.7),
                "work:APP2": (90, 7.7)}
    assert {k: (r.business.total / MIN, r.share) for k, r in holders.items()} == expected
    assert holders["queue:NET2"].incidents == 4  # A 60, B 90, C 30, F 30
    assert holders["vendor"].clock == 0 and holders["queue:NET2"].clock == 210 * MIN


def test_the_findings_name_the_biggest_contributors_first(story, org):
    from django.utils import translation

    with translation.override("en"):
        texts = [finding.text for finding in findings(p2(org))]
    assert texts == [
        "P2 incidents spent 25.5 % of their time to resolution being worked on by NET2. "
        "3 incidents, 1 h 40 min each on average.",
        "P2 incidents spent 20.4 % of their time to resolution waiting for a vendor. "
        "The SLA clock stood still meanwhile. 1 incident, 4 h.",
        "P2 incidents spent 17.9 % of their time to resolution waiting in NET2's queue before "
        "anyone accepted them. 4 incidents, 52 min each on average.",
        "P2 incidents spent 10.6 % of their time to resolution unassigned at the service desk. "
        "5 incidents, 25 min each on average.",
        "20 % of these incidents went back and forth between groups (A → B → A), most often "
        "between APP2 and NET2 (1 incident).",
        "The slowest path, Logged → Assigned → In progress → Resolved, took 3 h 22 min to "
        "resolution (median of 2 incidents).",
    ]


def test_handoffs_and_ping_pong(story, org):
    analysis = p2(org)
    assert analysis.handoff_buckets == [("0", 1, 20.0), ("1", 2, 40.0), ("2", 0, 0.0),
                                        ("3", 2, 40.0), ("4+", 0, 0.0)]
    assert (analysis.handoffs_total, analysis.handoffs_mean, analysis.handoffs_median) == (
        8, 1.6, 1.0)
    assert analysis.hand_back_incidents == 1  # C
    assert analysis.pingpong_incidents == 1 and analysis.pingpong_share == 20.0
    [pair] = analysis.pingpong_pairs
    assert (pair.groups, pair.incidents, pair.bounces, pair.key) == (
        ("APP2", "NET2"), 1, 1, "APP2|NET2")
    [bounced] = analysis.pingpong_list
    assert bounced.number == story.b.number
    assert bounced.group_path == ("-", "NET2", "APP2", "NET2")


def test_paths_common_and_slowest(story, org):
    analysis = p2(org)
    common = [(row.key, row.business.count, row.business.median) for row in
              analysis.status_paths]
    assert common == [
        ("10>20>30>40", 2, 202.5 * MIN),  # B 240, F 165
        ("10>90", 1, 40 * MIN),  # E
        ("10>20>30>35>30>40>50", 1, 310 * MIN),  # A
        ("10>20>10>20>30>35>30>40", 1, 420 * MIN),  # C
    ]
    assert analysis.slow_path_minimum == 2
    assert [row.key for row in analysis.slow_status_paths] == ["10>20>30>40"]
    groups = [(row.key, row.business.count) for row in analysis.group_paths]
    assert groups == [("->NET2", 2), ("-", 1), ("->NET2>APP2>NET2", 1), ("->NET2>->APP2", 1)]


def test_flows_for_the_sankey_graphs(story, org):
    analysis = p2(org)
    links = {link.key: (link.business.count, link.business.mean / MIN)
             for link in analysis.status_flow}
    assert links == {
        "0:10:20": (4, 18.75), "0:10:90": (1, 40),  # A 10, B 30, C 20, F 15; E 40
        "1:20:30": (3, 80), "1:20:10": (1, 30),  # A 60, B 150, F 30; C 30
        "2:30:35": (1, 60), "2:30:40": (2, 90), "2:10:20": (1, 10),  # A 60; B 60, F 120
        "3:35:30": (1, 120), "3:20:30": (1, 30),
        "4:30:40": (1, 60), "4:30:35": (1, 30),
        "5:40:50": (1, 60), "5:35:30": (1, 240),
        "6:30:40": (1, 60),
    }
    groups = {link.key: link.business.count for link in analysis.group_flow}
    assert groups == {"0:-:NET2": 4, "1:NET2:APP2": 1, "2:APP2:NET2": 1, "1:NET2:-": 1,
                      "2:-:APP2": 1}


def test_business_time_on_the_5x8_calendar(story, org):
    analysis = p2(org, priority="3")
    assert analysis.incidents == 1
    holders = rows(analysis.holders)
    assert holders["queue:NET2"].wall.total == 64 * 60 * MIN  # Friday 17:30 to Monday 09:30
    assert holders["queue:NET2"].business.total == 60 * MIN  # 17:30-18:00 and 09:00-09:30
    assert analysis.open.business.total == 210 * MIN and analysis.open.wall.total == 3990 * MIN


def test_filters_narrow_the_cohort(story, org):
    assert p2(org, channel="01").incidents == 1  # E, logged from a phone call
    by_group = p2(org, group="APP2")
    assert by_group.incidents == 2  # B and C were with APP2 at some point
    assert rows(by_group.groups)["NET2"].business.total == 180 * MIN  # B 150, C 30
    whole = analysis_build(user=org.owner, filters=analysis_filters(**PERIOD), now=NOW)
    assert whole.incidents == 6
    early = analysis_build(user=org.owner, now=NOW, filters=analysis_filters(
        start="2026-03-01", end="2026-03-02"))
    assert early.incidents == 3  # A, B and C: the end day is included


def test_the_records_behind_a_number(story, org):
    filters = analysis_filters(**PERIOD, priority="2")
    records = analysis_records(user=org.owner, filters=filters, figure="holder",
                               key="queue:NET2", now=NOW)
    assert records.total == 4
    assert [(r.number, r.value / MIN) for r in records.rows] == [
        (story.b.number, 90), (story.a.number, 60), (story.c.number, 30), (story.f.number, 30)]
    assert records.rows[0].short_description == story.b.short_description
    pingpong = analysis_records(user=org.owner, filters=filters, figure="pingpong",
                                key="APP2|NET2", now=NOW)
    assert [(r.number, r.value) for r in pingpong.rows] == [(story.b.number, 1)]
    path = analysis_records(user=org.owner, filters=filters, figure="status_path",
                            key="10>20>30>40", now=NOW)
    assert {r.number for r in path.rows} == {story.b.number, story.f.number}
    done = analysis_records(user=org.owner, filters=filters, figure="status_path_done",
                            key="10>20>30>40", now=NOW)
    assert done.total == 2  # both were resolved
    step = analysis_records(user=org.owner, filters=filters, figure="status_flow",
                            key="1:20:30", now=NOW)
    assert sorted(r.value / MIN for r in step.rows) == [30, 60, 150]
    handoffs = analysis_records(user=org.owner, filters=filters, figure="handoffs", key="3",
                                now=NOW)
    assert {r.number for r in handoffs.rows} == {story.b.number, story.c.number}
    with pytest.raises(InvalidInput):
        analysis_records(user=org.owner, filters=filters, figure="nonsense", now=NOW)


def test_one_incident_timeline(story, org):
    flow = flow_of(user=org.manager, number=story.c.number, now=NOW)
    spells = [(s.status, s.group, s.holder.key if s.holder else None, s.wall / MIN, s.on_clock)
              for s in flow.spells]
    assert spells == [
        (10, None, "desk", 20, True), (10, "NET2", "queue:NET2", 0, True),
        (20, "NET2", "queue:NET2", 30, True), (10, None, "desk", 10, True),
        (10, "APP2", "queue:APP2", 0, True), (20, "APP2", "queue:APP2", 30, True),
        (30, "APP2", "work:APP2", 30, True), (35, "APP2", "vendor", 240, False),
        (30, "APP2", "work:APP2", 60, True), (40, "APP2", None, 2460, False)]
    assert (flow.handoffs, flow.hand_backs, flow.bounces) == (3, 1, [])
    assert (flow.open_business, flow.clock_business) == (420 * MIN, 180 * MIN)


@pytest.mark.parametrize("person", ["requester", "desk", "engineer"])
def test_only_owners_managers_and_administrators_may_analyse(story, org, person):
    filters = analysis_filters(**PERIOD)
    with pytest.raises(NotFound):
        analysis_build(user=getattr(org, person), filters=filters, now=NOW)
    with pytest.raises(NotFound):
        flow_of(user=getattr(org, person), number=story.a.number, now=NOW)
    for allowed in (org.owner, org.manager, org.admin):
        assert analysis_build(user=allowed, filters=filters, now=NOW).incidents == 6


def test_bad_filters_are_named(org):
    cases = [({"start": "2026-03-10", "end": "2026-03-01"}, "start"),
             ({"start": "2025-01-01", "end": "2026-03-01"}, "start"),
             ({"start": "yesterday"}, "start"), ({"priority": "9"}, "priority"),
             ({"group": "NOPE"}, "group"), ({"service": "NOPE"}, "service"),
             ({"category": "HW.NOPE"}, "category"), ({"channel": "99"}, "channel")]
    for params, field in cases:
        with pytest.raises(InvalidInput) as error:
            analysis_filters(**params)
        assert field in error.value.errors


def test_default_period_is_ninety_days_up_to_today():
    filters = analysis_filters(today=date(2026, 3, 31))
    assert (filters.first_day, filters.last_day) == (date(2026, 1, 1), date(2026, 3, 31))


def test_stats_by_hand():
    stats = stats_of([40, 10, 30, 30, 15])
    assert (stats.count, stats.total, stats.mean, stats.median, stats.p90) == (5, 125, 25, 30, 40)
    assert stats_of([]).mean is None


def test_a_cohort_too_big_to_read_at_once_is_refused(story, org, monkeypatch):
    from opsdesk.measures.analysis import cohort

    monkeypatch.setattr(cohort, "MAX_INCIDENTS", 4)
    with pytest.raises(InvalidInput) as error:
        p2(org)  # five P2 incidents
    assert "start" in error.value.errors
    assert p2(org, group="APP2").incidents == 2  # narrower filters are read


def test_the_slowest_paths_count_finished_incidents_only(story, org):
    """G is still in progress: its path is common, but its time to resolution is not known."""
    for hour in (10, 11):
        g = log(org, sh(3, hour))
        assign(org, g, sh(3, hour, 15), "NET2")
        act(org, g, sh(3, hour, 45), "accept")
    analysis = p2(org)
    common = {row.key: row.business.count for row in analysis.status_paths}
    assert common["10>20>30"] == 2
    assert [row.key for row in analysis.slow_status_paths] == ["10>20>30>40"]
