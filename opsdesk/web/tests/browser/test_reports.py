"""Reports in the browser: the desk downloads a queue as CSV and Excel with its filters; the
process owner opens the monthly service report, downloads its PDF, and schedules it by mail."""

import csv
import io
from datetime import timedelta

import openpyxl
from django.utils import timezone
from playwright.sync_api import expect
from pypdf import PdfReader

from opsdesk.core.testing.factories import incident_factory
from opsdesk.incidents.services import incident_transition
from opsdesk.reporting.models import ReportSchedule


def _logged(org):
    net = incident_factory(by=org.desk, requester=org.requester,
                           short_description="=HYPERLINK(\"http://x\") 打印机卡纸")
    incident_transition(incident=net, action="assign", by=org.desk,
                        assignment_group=org.groups["NET2"])
    other = incident_factory(by=org.desk, requester=org.colleague,
                             short_description="Mail is slow")
    return net, other


def test_the_desk_downloads_its_filtered_queue(org, page_for):
    net, other = _logged(org)
    page = page_for(org.desk, "zh")
    page.goto("/work/open/?group=NET2")
    page.locator("#queue-export summary").click()
    with page.expect_download() as csv_download:
        page.locator("#export-csv").click()
    data = csv_download.value.path().read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows[0][0] == "事件单编号"  # the headers in the reader's language
    assert [r[0] for r in rows[1:]] == [net.number]  # the queue's filter: NET2 only
    assert rows[1][1] == "'=HYPERLINK(\"http://x\") 打印机卡纸"
    with page.expect_download() as xlsx_download:
        page.locator("#export-xlsx").click()
    assert xlsx_download.value.suggested_filename.endswith(".xlsx")
    book = openpyxl.load_workbook(io.BytesIO(xlsx_download.value.path().read_bytes()))
    cells = list(book.worksheets[0].iter_rows(min_row=2, values_only=True))
    assert [c[0] for c in cells] == [net.number] and cells[0][1].startswith("=HYPERLINK")
    assert other.number not in data.decode("utf-8-sig")


def test_the_process_owner_reads_the_monthly_report_and_schedules_it(org, page_for, shoot):
    _logged(org)
    month = (timezone.localdate().replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    page = page_for(org.owner, "en")
    page.goto("/reports/")
    page.get_by_label("Language").select_option("en")
    page.get_by_role("button", name="Choose").click()
    page.locator("#monthly-open").click()
    expect(page).to_have_url(f"/reports/monthly/{month}/?lang=en")
    expect(page.locator("h1")).to_contain_text("Monthly service report")
    for section in ("KPIs against their targets", "Trends over 12 months", "SLA breaches",
                    "Major incidents", "Satisfaction", "Backlog"):
        expect(page.get_by_role("heading", name=section)).to_be_visible()
    expect(page.locator("#trends svg").first).to_be_visible()
    shoot(page, "reports-monthly-en")
    with page.expect_download(timeout=90_000) as pdf_download:
        page.get_by_role("link", name="Download PDF").click()
    pdf = pdf_download.value.path().read_bytes()
    text = " ".join("".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).split())
    assert pdf.startswith(b"%PDF") and "Monthly service report" in text

    page.get_by_role("link", name="Back to the reports").click()
    page.get_by_role("link", name="New scheduled report").click()
    page.get_by_label("Name").fill("Monthly report for management")
    page.get_by_label("Recipients").fill("manager\ncio@example.com")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("h1")).to_have_text("Monthly report for management")
    # Sending makes the PDF in the request: seconds on a busy test machine.
    with page.expect_navigation(timeout=90_000):
        page.get_by_role("button", name="Send now").click(no_wait_after=True)
    expect(page.locator(".messages")).to_contain_text("cio@example.com")
    expect(page.locator("#runs")).to_contain_text(f"opsdesk-monthly-report-{month}.pdf")
    shoot(page, "reports-schedule")
    page.goto("/reports/")
    expect(page.locator("#schedules")).to_contain_text("Monthly report for management")
    shoot(page, "reports-index")
    schedule = ReportSchedule.objects.get()
    assert (schedule.kind, schedule.format, schedule.owner) == ("monthly_report", "pdf",
                                                                org.owner)
