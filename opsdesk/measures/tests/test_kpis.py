"""Every KPI against a hand count of the week in story.py, through the rollup.

Hand count, March 2025, read on Wed 5 March at 12:00 (after the SLA tick at 11:00):

| id | response clock            | resolution clock          | to respond wall / business | to resolve wall / business |
|----|---------------------------|---------------------------|----------------------------|----------------------------|
| A  | met (due 11:00, 09:30)    | met (due Mon 18:00)       | 1 h / 0.5 h (from 09:00)   | 1.5 h / 1 h                |
| B  | breached (due 15:30, 16:00)| breached (tick; due Tue 13:30) | 2.5 h / 2.5 h         | —                          |
| C  | met (due 18:00, 16:30)    | met (due Wed 10:00 after the 2 h pending and the 1 h resolved pauses; 09:30) | 0.5 h / 0.5 h | 41.5 h / 7.5 h (10.5 working h − 3 h paused) |
| D  | breached (due 20:15, 20:45)| met (due 24:00, 23:00)   | 0.75 h / 0.75 h (7×24)     | 3 h / 3 h                  |
| E  | breached (tick; due Wed 10:00) | running (due Fri)     | —                          | —                          |
| F  | running (cancelled)       | running (cancelled)       | —                          | —                          |
| I  | breached (tick; due 09:30)| running                   | —                          | —                          |

| id | group | assignments | hand-backs | FCR | resolved | reopened | functional | hierarchical | complete | repeat |
|----|-------|-------------|------------|-----|----------|----------|------------|--------------|----------|--------|
| A  | —     | 0           | 0          | yes | yes      | no       | no         | no           | yes      | no     |
| B  | APP2  | 2           | 1          | no  | no       | no       | no         | no           | no       | yes (A)|
| C  | NET3  | 2           | 0          | no  | yes      | yes      | yes (2→3)  | no           | no       | no     |
| D  | NET2  | 1           | 0          | no  | yes      | no       | no         | yes (P1)     | yes      | no     |
| E  | —     | 0           | 0          | no  | no       | no       | no         | no           | no       | no     |
| F  | —     | 0           | 0          | no  | no       | no       | no         | no           | no       | no     |
| I  | —     | 0           | 0          | no  | no       | no       | no         | yes (tick, P2 2nd warning) | no | yes (C) |

So: response on time 2 of 6 decided (A, C of A B C D E I); resolution on time 3 of 4 (A C D of
A B C D). Respond, wall: 3600, 9000, 1800, 2700 s: mean 4275 s, median (2700 + 3600) / 2 =
3150 s. Respond, business: 1800, 9000, 1800, 2700: mean 3825, median 2250. Resolve, wall:
5400, 149400, 10800: mean 55200, median 10800. Resolve, business: 3600, 27000, 10800: mean
13800, median 10800. FCR 1 of 3 resolved. Assignment success 1 − 1/5. Complete 2 of 7. Reopen
1 of 3 ever resolved. Functional 1 of 7, hierarchical 2 of 7, repeat 2 of 7. Volume 7: phone
3 (A D F), email 1 (B), portal 2 (C E), chat 1 (I). Backlog at 12:00: B (46.5 h), E (26 h),
I (3 h). Satisfaction (closed in March: A 5, D 2): mean 3.5, 1 of 2 satisfied. Deflection: 1
of 1 + 2 portal incidents.
"""

from datetime import date

import pytest
from django.http import QueryDict
from django.utils import translation

from opsdesk.incidents.filters import filters_from_query, query_from_params
from opsdesk.incidents.selectors import incident_count
from opsdesk.measures.kpis import (KpiFilters, kpi_backlog_ages, kpi_breakdown,
                                   kpi_definitions, kpi_trend, kpi_values)
from opsdesk.measures.rollups import rollup_rebuild, rollup_tick

from .story import at, sh, story_build

pytestmark = pytest.mark.django_db
H = 3600
MARCH = KpiFilters(start=date(2025, 3, 1), end=date(2025, 4, 1))
NOON = sh(2025, 3, 5, 12, 0)


@pytest.fixture
def story(org):
    s = story_build(org)
    rollup_tick()
    return s


def values(filters=MARCH, **narrow):
    with at(NOON):
        return {code: v.value for code, v in kpi_values(
            filters=KpiFilters(**{**filters.__dict__, **narrow})).items()}


def test_every_kpi_matches_the_hand_count(story):
    v = values()
    assert v["response_on_time"] == pytest.approx(2 / 6 * 100)
    assert v["resolution_on_time"] == pytest.approx(3 / 4 * 100)
    assert v["response_mean_wall"] == pytest.approx(4275 / H)
    assert v["response_median_wall"] == pytest.approx(3150 / H)
    assert v["response_mean_business"] == pytest.approx(3825 / H)
    assert v["response_median_business"] == pytest.approx(2250 / H)
    assert v["resolution_mean_wall"] == pytest.approx(55200 / H)
    assert v["resolution_median_wall"] == pytest.approx(10800 / H)
    assert v["resolution_mean_business"] == pytest.approx(13800 / H)
    assert v["resolution_median_business"] == pytest.approx(10800 / H)
    assert v["first_contact_resolution"] == pytest.approx(1 / 3 * 100)
    assert v["first_assignment_success"] == pytest.approx((1 - 1 / 5) * 100)
    assert v["record_completeness"] == pytest.approx(2 / 7 * 100)
    assert v["reopen_rate"] == pytest.approx(1 / 3 * 100)
    assert v["escalation_functional"] == pytest.approx(1 / 7 * 100)
    assert v["escalation_hierarchical"] == pytest.approx(2 / 7 * 100)
    assert v["repeat_rate"] == pytest.approx(2 / 7 * 100)
    assert v["backlog"] == 3
    assert v["satisfaction_mean"] == pytest.approx(3.5)
    assert v["satisfaction_rate"] == pytest.approx(50.0)
    assert v["volume"] == 7
    assert v["kb_deflection"] == pytest.approx(1 / 3 * 100)
    assert set(v) == {d.code for d in kpi_definitions()}


def test_numerators_denominators_and_targets(story):
    with at(NOON):
        got = kpi_values(filters=MARCH, codes=["response_on_time", "first_assignment_success",
                                               "resolution_mean_business", "volume"])
    response = got["response_on_time"]
    assert (response.numerator, response.denominator) == (2, 6)
    assert response.target == 95.0 and response.met is False
    assignment = got["first_assignment_success"]
    assert (assignment.numerator, assignment.denominator) == (4, 5)
    assert got["resolution_mean_business"].denominator == 3
    assert got["resolution_mean_business"].met is None  # no target by default
    assert got["volume"].value == 7


def test_each_number_links_to_exactly_the_incidents_it_counts(story):
    """The workspace list behind every number holds as many incidents as the number counts."""
    with at(NOON):
        got = kpi_values(filters=MARCH)
        for code, kpi in got.items():
            if not kpi.records_url.startswith("/work/"):
                continue
            expected = kpi.denominator if kpi.denominator is not None else kpi.numerator
            if code == "first_assignment_success":
                expected = 3  # 5 assignments of B, C and D
            assert listed(story.org, kpi.records_url) == expected, code
            if kpi.numerator_url:
                numerator = kpi.numerator if code != "first_assignment_success" else 1
                assert listed(story.org, kpi.numerator_url) == numerator, code
        assert got["satisfaction_rate"].records_url.startswith("/surveys/?start=2025-03-01")


def listed(org, url: str) -> int:
    query = query_from_params(QueryDict(url.split("?", 1)[1]))
    return incident_count(user=org.owner, filters=filters_from_query(query=query,
                                                                     user=org.owner))


def test_filters_by_group_category_service_priority_and_channel(story):
    org = story.org
    net2 = values(group_id=org.groups["NET2"].pk)  # D only (C moved on to NET3)
    assert net2["volume"] == 1 and net2["response_on_time"] == 0.0
    assert net2["backlog"] == 0
    p3 = values(priority_level=3)  # A B C F
    assert p3["volume"] == 4
    assert p3["response_on_time"] == pytest.approx(2 / 3 * 100)
    assert p3["response_mean_wall"] == pytest.approx((3600 + 9000 + 1800) / 3 / H)
    assert p3["response_median_wall"] == pytest.approx(1.0)
    assert p3["response_mean_business"] == pytest.approx((1800 + 9000 + 1800) / 3 / H)
    assert p3["response_median_business"] == pytest.approx(0.5)
    assert p3["satisfaction_mean"] == 5.0  # A
    bizapp = values(category_id=story.bizapp.pk)  # C D F I
    assert bizapp["response_on_time"] == pytest.approx(1 / 3 * 100)
    assert bizapp["resolution_on_time"] == 100.0
    assert bizapp["repeat_rate"] == 25.0
    hardware = values(category_id=story.hardware.pk)  # PRINTER is below HW: A B E
    assert hardware["volume"] == 3 and hardware["backlog"] == 2
    mail = values(service_id=story.mail.pk)
    assert mail["volume"] == 3 and mail["record_completeness"] == pytest.approx(100 / 3)
    portal = values(channel="03")
    assert portal["volume"] == 2 and portal["kb_deflection"] is None
    phone_p3 = values(channel="01", priority_level=3)  # A F
    assert phone_p3["response_on_time"] == 100.0 and phone_p3["volume"] == 2
    empty = values(filters=KpiFilters(start=date(2025, 1, 1), end=date(2025, 2, 1)))
    assert empty["response_on_time"] is None and empty["volume"] == 0
    assert empty["response_median_wall"] is None


def test_business_time_leaves_out_nights_weekends_and_pauses(story):
    c = values(filters=MARCH, category_id=story.bizapp.pk, priority_level=3)  # C F
    assert c["resolution_mean_wall"] == pytest.approx(41.5)
    assert c["resolution_mean_business"] == pytest.approx(7.5)
    a = values(filters=MARCH, channel="01", priority_level=3)  # A (F has no times)
    assert (a["response_mean_wall"], a["response_mean_business"]) == (1.0, 0.5)
    d = values(filters=MARCH, priority_level=1)  # 7×24: business is wall time
    assert d["resolution_mean_wall"] == d["resolution_mean_business"] == 3.0


def test_trend_and_breakdowns(story):
    with at(NOON):
        trend = kpi_trend(code="response_on_time", filters=MARCH, months=3)
        assert [(p.month, p.value) for p in trend] == [
            (date(2025, 1, 1), None), (date(2025, 2, 1), 100.0),
            (date(2025, 3, 1), pytest.approx(100 / 3))]
        assert listed(story.org, trend[1].records_url) == 1  # G
        medians = kpi_trend(code="response_median_wall", filters=MARCH, months=2)
        assert [p.value for p in medians] == [0.25, 0.875]
        by_priority = {r.key: (r.value, r.count) for r in kpi_breakdown(
            code="response_median_wall", filters=MARCH, by="priority")}
        assert by_priority == {"3": (1.0, 3), "1": (0.75, 1)}
        with translation.override("en"):
            channels = [(r.label, r.value) for r in kpi_breakdown(
                code="volume", filters=MARCH, by="channel")]
        assert channels == [("Phone", 3), ("Self-service portal", 2), ("Email", 1),
                            ("Instant messaging (WeCom/DingTalk/Feishu)", 1)]
        groups = {r.key: r.value for r in kpi_breakdown(code="first_assignment_success",
                                                         filters=MARCH, by="group")}
        assert groups == {"APP2": 50.0, "NET3": 100.0, "NET2": 100.0, "": None}
        ages = [(r.key, r.count) for r in kpi_backlog_ages(filters=MARCH)]
        assert ages == [("lt1d", 1), ("1-3d", 2), ("3-7d", 0), ("7-30d", 0), ("ge30d", 0)]
        assert listed(story.org, kpi_backlog_ages(filters=MARCH)[1].records_url) == 2
        satisfaction = kpi_trend(code="satisfaction_mean", filters=MARCH, months=1)
        assert [p.value for p in satisfaction] == [3.5]


def test_changes_reach_the_rollup_at_the_next_tick(story):
    """Reassign B to NET2 and reopen C: the hooks mark their day, the tick counts it again."""
    org = story.org
    story.act("B", "assign", sh(2025, 3, 5, 12, 30), assignment_group=org.groups["NET2"])
    story.act("C", "reopen", sh(2025, 3, 5, 13, 0), reason="Back again")
    before = values()
    assert before["first_assignment_success"] == pytest.approx(80.0)  # not counted yet
    with at(sh(2025, 3, 5, 13, 5)):
        assert rollup_tick() >= 1
    after = values()
    # B: 3 assignments now; C: resolution running again (due 13:30), reopened, not resolved.
    assert after["first_assignment_success"] == pytest.approx((1 - 1 / 6) * 100)
    assert after["resolution_on_time"] == pytest.approx(2 / 3 * 100)
    assert after["resolution_mean_wall"] == pytest.approx((5400 + 10800) / 2 / H)
    assert after["resolution_median_wall"] == pytest.approx(8100 / H)
    assert after["first_contact_resolution"] == 50.0
    assert after["reopen_rate"] == pytest.approx(1 / 3 * 100)
    assert values(group_id=org.groups["NET2"].pk)["volume"] == 2  # B and D
    with at(sh(2025, 3, 5, 13, 6)):
        rollup_rebuild()
    assert values() == after  # counting everything again gives the same numbers


def test_the_sla_ticks_breaches_reach_the_rollup_through_the_history(story):
    """The SLA tick flags a breach without an incident hook: its history entry is read."""
    from opsdesk.measures.models import RollupDirtyDay
    from opsdesk.sla.tick import sla_tick_run

    story.log("J", sh(2025, 3, 5, 11, 10), priority=2, source="06", category=story.bizapp,
              service=story.erp, requester=story.org.colleague)
    with at(sh(2025, 3, 5, 11, 15)):
        rollup_tick()
    assert values()["response_on_time"] == pytest.approx(2 / 6 * 100)  # J still running
    with at(sh(2025, 3, 5, 11, 45)):  # J's response was due at 11:40
        sla_tick_run(now=sh(2025, 3, 5, 11, 45))
        assert not RollupDirtyDay.objects.exists()
        rollup_tick()
    assert values()["response_on_time"] == pytest.approx(2 / 7 * 100)
    assert values()["escalation_hierarchical"] == pytest.approx(3 / 8 * 100)  # + J (P2)


def test_the_rollup_and_the_facts_give_the_same_sums(story):
    """A filter on one dimension reads the rollup, two sum the facts: both count alike."""
    from opsdesk.measures import figures
    from opsdesk.measures.models import IncidentFact

    facts = IncidentFact.objects.filter(day__gte=MARCH.start, day__lt=MARCH.end)
    assert figures.daily_sums(MARCH) == figures._zeros(
        facts.aggregate(**figures.FACT_AGGREGATES))
    for by, column in figures.DIMENSIONS.items():
        from_rollup = figures._sums_by(MARCH, MARCH.start, MARCH.end, by)
        from_facts = {figures._key_of(by, row[column]): figures._zeros(row) for row in
                      facts.values(column).order_by().annotate(**figures.FACT_AGGREGATES)}
        assert from_rollup == from_facts, by
