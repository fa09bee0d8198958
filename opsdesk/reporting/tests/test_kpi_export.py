"""The KPI tables as files (pages and API): the engine's values, the KPI pages' permissions."""

import csv
import io
from datetime import date

import openpyxl
import pytest
from django.test import Client

from opsdesk.measures.kpis import KpiFilters, kpi_breakdown, kpi_trend, kpi_values
from opsdesk.measures.rollups import rollup_tick
from opsdesk.measures.tests.story import at, sh, story_build

pytestmark = pytest.mark.django_db
MARCH = {"start": "2025-03-01", "end": "2025-03-31"}
FILTERS = KpiFilters(start=date(2025, 3, 1), end=date(2025, 4, 1))
NOON = sh(2025, 3, 5, 12, 0)


def browser(user, language="en"):
    client = Client(headers={"Accept-Language": language})
    client.force_login(user)
    return client


@pytest.fixture
def story(org):
    s = story_build(org)
    rollup_tick()
    return s


def sheets(response) -> dict[str, list[tuple]]:
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return {name: list(book[name].iter_rows(values_only=True)) for name in book.sheetnames}


def test_the_kpi_table_in_excel_has_the_engines_values_targets_and_formulas(org, story):
    with at(NOON):
        response = browser(org.owner).get("/reports/export/kpis.xlsx", MARCH)
        expected = kpi_values(filters=FILTERS)
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        'attachment; filename="opsdesk-kpis-2025-03-01-2025-03-31.xlsx"')
    found = sheets(response)
    assert list(found) == ["KPIs", "About"]
    header, *rows = found["KPIs"]
    assert header == ("Code", "KPI", "Value", "Unit", "Target", "Met", "Numerator",
                      "Denominator", "Formula", "Incidents counted")
    by_code = {row[0]: row for row in rows}
    assert set(by_code) == set(expected)
    for code, value in expected.items():
        row = by_code[code]
        assert row[2] == (None if value.value is None else round(value.value, 2)), code
        assert row[4] == value.target
    assert by_code["resolution_on_time"][2:8] == (75, "%", 90, "No", 3, 4)
    assert by_code["volume"][2] == 7
    assert by_code["first_contact_resolution"][8].startswith("Incidents resolved at first")
    assert by_code["response_on_time"][9].startswith("http://") and "/work/all/?" in \
        by_code["response_on_time"][9]
    about = dict(found["About"])
    assert about["Period"] == "2025-03-01 – 2025-03-31"
    assert about["Exported by"] == org.owner.label


def test_trend_and_breakdowns_as_csv(org, story):
    owner = browser(org.owner)
    with at(NOON):
        trend = owner.get("/reports/export/kpis/volume/trend.csv", MARCH)
        points = kpi_trend(code="volume", filters=FILTERS, months=12)
        breakdown = owner.get("/reports/export/kpis/volume/breakdown.csv",
                              {**MARCH, "by": "channel"})
        channels = kpi_breakdown(code="volume", filters=FILTERS, by="channel")
        every = owner.get("/reports/export/kpis/resolution_on_time/breakdown.csv", MARCH)
    rows = list(csv.reader(io.StringIO(b"".join(trend.streaming_content).decode("utf-8-sig"))))
    assert rows[0] == ["Month", "Value", "Unit", "Target", "Counted", "Incidents counted"]
    assert [r[0] for r in rows[1:]] == [p.month.strftime("%Y-%m") for p in points]
    assert rows[-1][:2] == ["2025-03", "7"] and rows[-2][:2] == ["2025-02", "1"]
    rows = list(csv.reader(io.StringIO(
        b"".join(breakdown.streaming_content).decode("utf-8-sig"))))
    assert [(r[1], int(r[4])) for r in rows[1:]] == [(c.key, c.count) for c in channels]
    text = b"".join(every.streaming_content).decode("utf-8-sig")
    for title in ("Group", "Category", "Service", "Priority", "Channel"):
        assert f"Resolution on time (SLA attainment) · {title}" in text


def test_a_group_lead_exports_only_their_groups_kpis(org, story):
    lead = org.engineer
    org.groups["NET2"].manager = lead
    org.groups["NET2"].save()
    client = browser(lead)
    with at(NOON):
        mine = client.get("/reports/export/kpis.csv", MARCH)
        assert client.get("/reports/export/kpis.csv", {**MARCH, "group": "APP2"}).status_code \
            == 404
        net2 = kpi_values(filters=KpiFilters(start=date(2025, 3, 1), end=date(2025, 4, 1),
                                             group_id=org.groups["NET2"].pk))
    rows = {r[0]: r for r in csv.reader(io.StringIO(
        b"".join(mine.streaming_content).decode("utf-8-sig")))}
    assert rows["volume"][2] == str(int(net2["volume"].value))
    assert browser(org.desk).get("/reports/export/kpis.csv", MARCH).status_code == 403
    assert browser(org.requester).get("/reports/export/kpis.csv", MARCH).status_code == 403


def test_bad_filters_and_unknown_kpis_are_refused_with_a_message(org):
    owner = browser(org.owner)
    response = owner.get("/reports/export/kpis.csv", {"start": "yesterday"})
    assert response.status_code == 422 and "start" in response.content.decode()
    assert owner.get("/reports/export/kpis/nope/trend.csv").status_code == 422
    assert owner.get("/reports/export/kpis/volume/breakdown.xlsx", {"by": "moon"}).status_code \
        == 422
    assert owner.get("/reports/export/kpis/volume/trend.csv", {"months": "99"}).status_code \
        == 422


def test_the_api_exports_kpis_by_format_or_accept(org, story):
    owner = browser(org.owner)
    with at(NOON):
        response = owner.get("/api/v1/reports/kpis", {**MARCH, "format": "xlsx"})
        csv_response = owner.get("/api/v1/reports/kpis", MARCH, headers={"Accept": "text/csv"})
        trend = owner.get("/api/v1/reports/kpis/volume/trend", {**MARCH, "months": 3})
        refused = browser(org.desk).get("/api/v1/reports/kpis", MARCH)
    assert sheets(response)["KPIs"][0][0] == "Code"
    assert csv_response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(b"".join(trend.streaming_content).decode("utf-8-sig"))))
    assert [r[0] for r in rows[1:]] == ["2025-01", "2025-02", "2025-03"]
    assert refused.status_code == 403 and refused.json()["detail"]
