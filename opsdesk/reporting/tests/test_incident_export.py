"""Exporting the workspace lists and the API list: what the person sees, with its filters."""

import csv
import io

import openpyxl
import pytest
from django.test import Client

from opsdesk.core.testing.factories import incident_factory
from opsdesk.incidents.choices import Action
from opsdesk.incidents.services import incident_transition
from opsdesk.reporting import incident_export

pytestmark = pytest.mark.django_db
EVIL = "=cmd|' /C calc'!A0 打印机坏了"


def browser(user, language="en"):
    client = Client(headers={"Accept-Language": language})
    client.force_login(user)
    return client


def log(org, name, *, group=None, requester=None):
    incident = incident_factory(by=org.desk, requester=requester or org.requester,
                                short_description=name)
    if group:
        incident = incident_transition(incident=incident, action=Action.ASSIGN, by=org.desk,
                                       assignment_group=org.groups[group])
    return incident


@pytest.fixture
def listed(org):
    return {"net": log(org, EVIL, group="NET2"), "app": log(org, "Mail slow", group="APP2"),
            "other": log(org, "HR laptop", requester=org.outsider)}


def csv_rows(response) -> list[list[str]]:
    data = b"".join(response.streaming_content)
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def xlsx_rows(response) -> list[tuple]:
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return list(book.worksheets[0].iter_rows(values_only=True))


def test_the_desk_exports_a_queue_with_its_filters_as_csv(org, listed):
    response = browser(org.desk).get("/reports/export/incidents.csv",
                                     {"queue": "open", "group": "NET2"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="opsdesk-open-')
    header, *rows = csv_rows(response)
    assert header[:4] == ["Number", "Short description", "Status", "Priority"]
    assert [r[0] for r in rows] == [listed["net"].number]
    assert rows[0][1] == "'" + EVIL  # a formula start is quoted
    assert rows[0][2] == "Assigned"
    assert rows[0][header.index("Assignment group")] == "NET2"
    assert rows[0][header.index("Requester")] == org.requester.label
    assert rows[0][-1].endswith(f"/incidents/{listed['net'].number}/")


def test_headers_follow_the_language_and_xlsx_keeps_text_as_text(org, listed):
    response = browser(org.desk, "zh-hans").get("/reports/export/incidents.xlsx",
                                                {"queue": "open", "sort": "registered_at"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    header, *rows = xlsx_rows(response)
    assert header[0] == "事件单编号"  # the model field's name in Chinese
    assert [r[0] for r in rows] == [listed[k].number for k in ("net", "app", "other")]
    assert rows[0][1] == EVIL  # stored as a string: Excel never runs it
    assert rows[0][2] == "已分派"


def test_an_engineer_exports_only_what_their_queues_show(org, listed):
    engineer = browser(org.engineer)
    rows = csv_rows(engineer.get("/reports/export/incidents.csv", {"queue": "group-all"}))[1:]
    assert [r[0] for r in rows] == [listed["net"].number]
    # Another group's incidents are not theirs to export, whatever the filter asks.
    rows = csv_rows(engineer.get("/reports/export/incidents.csv",
                                 {"queue": "group-all", "group": "APP2"}))[1:]
    assert rows == []
    assert engineer.get("/reports/export/incidents.csv", {"queue": "open"}).status_code == 404
    assert browser(org.requester).get("/reports/export/incidents.csv").status_code == 403


def test_bad_filters_say_why_and_download_nothing(org, listed):
    response = browser(org.desk).get("/reports/export/incidents.csv",
                                     {"queue": "open", "priority": "high"})
    assert response.status_code == 422
    assert "priority" in response.content.decode()
    assert "Content-Disposition" not in response


def test_a_long_list_stops_at_the_cap_and_says_so(org, listed, monkeypatch):
    monkeypatch.setattr(incident_export, "MAX_ROWS", 2)
    monkeypatch.setattr(incident_export, "PAGE", 1)
    response = browser(org.desk).get("/reports/export/incidents.csv", {"queue": "open"})
    assert response["X-Opsdesk-Rows-Omitted"] == "1"
    rows = csv_rows(response)
    assert len(rows) == 4
    assert rows[-1] == [("Only the first 2 of 3 incidents are in this file; narrow the filters "
                         "to export the rest.")]


def test_the_export_reads_a_fixed_number_of_queries(org, listed, django_assert_max_num_queries):
    for n in range(25):
        log(org, f"Case {n}", group="NET2")
    desk = browser(org.desk)
    csv_rows(desk.get("/reports/export/incidents.csv", {"queue": "open"}))  # warms the lookups
    with django_assert_max_num_queries(12):
        rows = csv_rows(desk.get("/reports/export/incidents.csv", {"queue": "open"}))
    assert len(rows) == 1 + 28


def test_the_api_exports_with_format_or_accept_and_restricts_to_the_caller(org, listed):
    requester = browser(org.requester)
    response = requester.get("/api/v1/reports/incidents", {"format": "csv"})
    assert response.status_code == 200
    numbers = {r[0] for r in csv_rows(response)[1:]}
    assert numbers == {listed["net"].number, listed["app"].number}  # not the outsider's
    xlsx = requester.get("/api/v1/reports/incidents?group=APP2", headers={
        "Accept": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"})
    assert [r[0] for r in xlsx_rows(xlsx)[1:]] == [listed["app"].number]
    refused = requester.get("/api/v1/reports/incidents", {"format": "pdf"})
    assert refused.status_code == 422 and "format" in refused.json()["errors"]
    assert Client().get("/api/v1/reports/incidents").status_code == 401


def test_the_queue_page_links_its_exports_with_its_filters(org, listed):
    page = browser(org.desk).get("/work/open/?group=NET2").content.decode()
    assert "/reports/export/incidents.csv?queue=open&amp;group=NET2" in page
    assert "/reports/export/incidents.xlsx?queue=open&amp;group=NET2" in page
    assert "kind=incident_list" not in page  # only process owners schedule mail
    owner_page = browser(org.owner).get("/work/open/?group=NET2").content.decode()
    assert "/reports/schedules/new/?kind=incident_list&amp;queue=open&amp;group=NET2" in owner_page
