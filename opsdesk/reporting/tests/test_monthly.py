"""The monthly service report: the KPI engine's numbers for the month, majors with their
review, satisfaction, SLA breaches, and the document as HTML and PDF in both languages."""

import io
from datetime import date

import pytest
from django.utils import translation
from pypdf import PdfReader

from opsdesk.core.exceptions import InvalidInput, NotPermitted
from opsdesk.measures.kpis import KpiFilters, kpi_values
from opsdesk.measures.rollups import rollup_tick
from opsdesk.measures.tests.story import at, sh, story_build
from opsdesk.reporting import document, monthly

pytestmark = pytest.mark.django_db
MARCH = date(2025, 3, 1)
NOON = sh(2025, 3, 5, 12, 0)


@pytest.fixture
def story(org):
    s = story_build(org)
    rollup_tick()
    return s


def pdf_text(pdf: bytes) -> str:
    return "".join("".join(page.extract_text().split()) for page in
                   PdfReader(io.BytesIO(pdf)).pages)


def test_every_number_is_the_kpi_engines_for_the_month(org, story):
    with at(NOON):
        report = monthly.monthly_report(user=org.owner, month=MARCH)
        expected = kpi_values(filters=KpiFilters(start=MARCH, end=date(2025, 4, 1)))
        february = kpi_values(filters=KpiFilters(start=date(2025, 2, 1), end=MARCH))
    assert report.filters == KpiFilters(start=MARCH, end=date(2025, 4, 1))
    assert {line.definition.code for line in report.kpis} == set(expected) - {"backlog"}
    for line in report.kpis:
        assert line.value == expected[line.definition.code], line.definition.code
        assert line.previous == february[line.definition.code], line.definition.code
    lines = report.lines
    # The hand count of story.py: 2 of 6 responded on time, 3 of 4 resolved on time, 7 logged.
    assert lines["response_on_time"].display == "33.3 %"
    assert lines["resolution_on_time"].display == "75.0 %"
    assert lines["volume"].display == "7"
    assert lines["volume"].previous_display == "1"  # G, in February
    assert lines["volume"].change == "↑"
    # SLA breaches: response 4 of 6 decided (B D E I), resolution 1 of 4 (B).
    total = report.sla_total
    assert total.response == (6, 4, 33.33) and total.resolution == (4, 1, 75.0)
    assert "response_sla=breached" in total.response_breached_url
    by_priority = {row.label: row for row in report.sla}
    assert sum(row.response[1] for row in by_priority.values()) == 4
    assert sum(row.resolution[0] for row in by_priority.values()) == 4
    # Volume by channel and the satisfaction of the incidents closed in March (A 5, D 2).
    channels = {row.key: row.count for row in report.volume["channel"]}
    assert channels == {"01": 3, "02": 1, "03": 2, "06": 1}
    assert report.satisfaction["responses"] == 2
    assert report.satisfaction["mean"] == 3.5 and report.satisfaction["rate"] == 50.0
    assert dict(report.satisfaction["scores"]) == {1: 0, 2: 1, 3: 0, 4: 0, 5: 1}
    # Trends: twelve months up to March, the month's value as its last point.
    trend = next(t for t in report.trends if t.definition.code == "volume")
    assert trend.labels[0] == "2024-04" and trend.labels[-1] == "2025-03"
    assert trend.values[-2:] == [1.0, 7.0]
    assert report.backlog_total == 3  # B, E and I are open


def test_the_months_major_incidents_with_the_state_of_their_review(org):
    from opsdesk.core.testing.factories import incident_factory
    from opsdesk.major.services import major_declare
    from opsdesk.reviews.services import review_create

    with at(sh(2025, 3, 10, 9, 0)):
        master = incident_factory(by=org.desk, requester=org.requester,
                                  short_description="ERP 全部无法登录")
        major_declare(incident=master, by=org.manager, reason="Everyone")
        review_create(incident=master, by=org.manager)
    with at(sh(2025, 4, 2, 9, 0)):
        other = incident_factory(by=org.desk, requester=org.requester,
                                 short_description="April outage")
        major_declare(incident=other, by=org.manager, reason="Everyone")
        report = monthly.monthly_report(user=org.manager, month=MARCH)
    [row] = report.majors
    assert row.number == master.number and row.short_description == "ERP 全部无法登录"
    with translation.override("en"):
        assert str(row.review) in ("Draft", "草稿")
    assert row.duration  # still open: "ongoing"
    assert row.url == f"/major/{master.number}/"


def test_only_people_who_watch_the_whole_process_read_it(org):
    for person in (org.engineer, org.desk, org.requester):
        with pytest.raises(NotPermitted):
            monthly.monthly_report(user=person, month=MARCH)
    monthly.monthly_report(user=org.manager, month=MARCH)
    monthly.monthly_report(user=org.admin, month=MARCH)


def test_month_parse():
    assert monthly.month_parse("2026-03") == date(2026, 3, 1)
    assert monthly.month_parse("", today=date(2026, 1, 15)) == date(2025, 12, 1)
    with pytest.raises(InvalidInput):
        monthly.month_parse("March")


def test_the_pdf_in_chinese_and_in_english_has_the_reports_text(org, story):
    with at(NOON):
        with translation.override("zh-hans"):
            report = monthly.monthly_report(user=org.owner, month=MARCH)
            chinese = document.monthly_pdf(report, by=org.owner)
        with translation.override("en"):
            report = monthly.monthly_report(user=org.owner, month=MARCH)
            english = document.monthly_pdf(report, by=org.owner)
    assert chinese.startswith(b"%PDF") and english.startswith(b"%PDF")
    zh = pdf_text(chinese)
    # The Chinese month, and the code tables' and services' Chinese names (the CJK fonts).
    assert "2025年3月" in zh
    assert "电话" in zh and "邮件" in zh and "打印机" in zh
    assert "33.3%" in zh and "75.0%" in zh
    en = pdf_text(english)
    assert "Monthlyservicereport,March2025" in en
    assert "Resolutionontime" in en and "33.3%" in en
    assert "Majorincidents" in en


def test_the_html_escapes_what_people_typed_and_draws_charts_without_scripts(org):
    from opsdesk.core.testing.factories import incident_factory
    from opsdesk.major.services import major_declare

    with at(sh(2025, 3, 10, 9, 0)):
        master = incident_factory(by=org.desk, requester=org.requester,
                                  short_description="<script>alert(1)</script>")
        major_declare(incident=master, by=org.manager, reason="x")
        report = monthly.monthly_report(user=org.owner, month=MARCH)
    html = document.monthly_html(report)
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html
    assert "<script" not in html
    assert html.count("<svg") >= 6
