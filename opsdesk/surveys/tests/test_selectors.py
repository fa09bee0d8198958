"""The satisfaction figures the KPI engine reads, checked against a small dataset counted by
hand; months are cut in the site's time zone (Asia/Shanghai)."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from opsdesk.core.exceptions import NotPermitted
from opsdesk.core.testing.factories import ServiceFactory, incident_factory
from opsdesk.incidents.services import incident_transition
from opsdesk.reference.models import Category, ResolutionCode, Source
from opsdesk.surveys import selectors
from opsdesk.surveys.models import Survey
from opsdesk.surveys.services import AnswerInput, survey_answer_by_requester

pytestmark = pytest.mark.django_db
SITE = ZoneInfo("Asia/Shanghai")


def closed_on(org, when: datetime, *, group: str, score: int | None, **data):
    """An incident of `group` closed at `when` (site time); answered with `score` if given."""
    with time_machine.travel(when.replace(tzinfo=SITE), tick=False):
        incident = incident_factory(by=org.desk, requester=org.requester, **data)
        incident = incident_transition(incident=incident, action="assign", by=org.desk,
                                       assignment_group=org.groups[group])
        incident = incident_transition(incident=incident, action="resolve", by=org.desk,
                                       resolution="Fixed",
                                       resolution_code=ResolutionCode.objects.get(pk="01"))
        incident = incident_transition(incident=incident, action="confirm", by=org.requester)
        if score is not None:
            survey_answer_by_requester(user=org.requester, incident=incident,
                                       data=AnswerInput(score=score, answers={}))
    return incident


@pytest.fixture
def dataset(org, survey_settings):
    """March: 5 (NET2, phone), 4 (NET2, portal), 2 (APP2, portal, 23:30 on the 31st);
    April: 1 (NET2, 00:30 on the 1st), 5 (APP2, printer, ERP service); one April survey
    invited but never answered, and a score in May outside the period."""
    survey_settings.low_score_threshold = 0
    survey_settings.save()
    phone, portal = Source.objects.get(pk="01"), Source.objects.get(pk="03")
    erp = ServiceFactory(code="ERP")
    printer = Category.objects.get(path="HW.PRINTER")
    closed_on(org, datetime(2026, 3, 10, 10), group="NET2", score=5, source=phone)
    closed_on(org, datetime(2026, 3, 20, 10), group="NET2", score=4, source=portal)
    closed_on(org, datetime(2026, 3, 31, 23, 30), group="APP2", score=2, source=portal)
    closed_on(org, datetime(2026, 4, 1, 0, 30), group="NET2", score=1, source=phone)
    closed_on(org, datetime(2026, 4, 20, 9), group="APP2", score=5, source=phone, service=erp,
              category=printer)
    closed_on(org, datetime(2026, 4, 15, 9), group="APP2", score=None, source=phone)
    closed_on(org, datetime(2026, 5, 2, 9), group="NET2", score=1, source=phone)
    return {"erp": erp, "printer": printer}


MARCH, APRIL, MAY = date(2026, 3, 1), date(2026, 4, 1), date(2026, 5, 1)


def test_the_period_mean_and_satisfied_share(dataset):
    responses, mean, share = selectors.satisfaction_summary(start=MARCH, end=MAY)
    assert responses == 5  # 5 + 4 + 2 + 1 + 5; the unanswered and May's are left out
    assert mean == pytest.approx(17 / 5)
    assert share == pytest.approx(3 / 5)  # 5, 4 and 5
    summary = selectors.satisfaction_summary(start=MARCH, end=MAY)
    assert (summary.satisfied, summary.score_total) == (3, 17)


def test_nothing_answered_gives_none(dataset):
    assert tuple(selectors.satisfaction_summary(start=date(2025, 1, 1),
                                                end=date(2025, 2, 1))) == (0, None, None)


def test_filters_narrow_by_the_incident(org, dataset):
    net2 = selectors.satisfaction_summary(start=MARCH, end=MAY, group_id=org.groups["NET2"].pk)
    assert tuple(net2) == (3, pytest.approx(10 / 3), pytest.approx(2 / 3))
    portal = selectors.satisfaction_summary(start=MARCH, end=MAY, channel="03")
    assert tuple(portal) == (2, 3.0, 0.5)
    hardware = Category.objects.get(path="HW")  # the printer is below it
    assert selectors.satisfaction_summary(start=MARCH, end=MAY,
                                          category_id=hardware.pk).responses == 1
    assert selectors.satisfaction_summary(start=MARCH, end=MAY,
                                          service_id=dataset["erp"].pk).mean == 5
    priority = Survey.objects.filter(score=1).first().incident.priority_id
    assert selectors.satisfaction_summary(start=MARCH, end=MAY,
                                          priority_level=priority).responses >= 1


def test_months_are_cut_in_the_site_time_zone(dataset):
    months = selectors.satisfaction_monthly(start=MARCH, end=MAY)
    assert [m.month for m in months] == [MARCH, APRIL]
    march, april = (m.summary for m in months)
    assert tuple(march) == (3, pytest.approx(11 / 3), pytest.approx(2 / 3))
    assert tuple(april) == (2, 3.0, 0.5)


def test_a_month_cut_short_by_the_period(dataset):
    months = selectors.satisfaction_monthly(start=date(2026, 3, 15), end=date(2026, 4, 10))
    assert [m.summary.responses for m in months] == [2, 1]  # 20 and 31 March; 1 April


def test_breakdown_by_group(org, dataset):
    rows = dict(selectors.satisfaction_breakdown(start=MARCH, end=MAY, by="group"))
    assert rows[org.groups["NET2"].pk].responses == 3
    assert rows[org.groups["APP2"].pk].mean == pytest.approx(3.5)
    with pytest.raises(ValueError):
        selectors.satisfaction_breakdown(start=MARCH, end=MAY, by="colour")


def test_the_funnel_counts_every_state(org, dataset):
    filters = selectors.ResponseFilters(start=MARCH, end=MAY)
    funnel = selectors.survey_funnel(user=org.owner, filters=filters)
    assert funnel["answered"] == 5 and funnel["states"]["scheduled"] == 1
    assert dict(funnel["scores"]) == {1: 1, 2: 1, 3: 0, 4: 1, 5: 2}
    with pytest.raises(NotPermitted):
        selectors.survey_funnel(user=org.engineer, filters=filters)


def test_the_response_list_is_for_owners_and_managers(org, dataset):
    filters = selectors.ResponseFilters(start=MARCH, end=MAY, scores=(1, 2))
    rows, total = selectors.survey_response_list(user=org.manager, filters=filters)
    assert total == 2 and [s.score for s in rows] == [1, 2]  # newest closure first
    for person in (org.requester, org.engineer, org.desk):
        with pytest.raises(NotPermitted):
            selectors.survey_response_list(user=person, filters=filters)
