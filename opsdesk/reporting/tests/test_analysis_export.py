"""The process analysis as a spreadsheet: the analysis's own numbers, for analysts only."""

import io

import openpyxl
import pytest
from django.test import Client

from opsdesk.measures.analysis import analysis_build, analysis_filters
from opsdesk.measures.tests.story import at, sh, story_build

pytestmark = pytest.mark.django_db
NOON = sh(2025, 3, 5, 12, 0)


def browser(user, language="en"):
    client = Client(headers={"Accept-Language": language})
    client.force_login(user)
    return client


def test_the_analysis_tables_as_excel(org):
    story_build(org)
    params = {"start": "2025-03-01", "end": "2025-03-31"}
    with at(NOON):
        response = browser(org.manager).get("/reports/export/analysis.xlsx", params)
        analysis = analysis_build(user=org.manager, filters=analysis_filters(**params))
        refused = browser(org.engineer).get("/reports/export/analysis.csv", params)
        api = browser(org.owner).get("/api/v1/reports/analysis", {**params, "format": "csv"})
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert book.sheetnames[:5] == ["Time to resolution", "Time per status", "Time per group",
                                   "Time per line", "Who held the clock"]
    [header, everything] = list(book["Time to resolution"].iter_rows(values_only=True))
    assert header[:3] == ("All", "Incidents", "Business hours, mean")
    assert everything[1] == analysis.open.incidents
    assert everything[2] == round(analysis.open.business.mean / 3600, 2)
    statuses = list(book["Time per status"].iter_rows(min_row=2, values_only=True))
    assert [row[1] for row in statuses] == [r.incidents for r in analysis.statuses]
    assert refused.status_code == 404
    assert api.status_code == 200 and "Time per group" in b"".join(
        api.streaming_content).decode("utf-8-sig")
