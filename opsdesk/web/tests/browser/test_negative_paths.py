"""What the browser shows when a person goes where they may not, types bad input, or uses a phone.

- a user cannot open someone else's incident (or its file) by URL: the 404 page is shown;
- an engineer is not offered Close, and a forged POST to the close action gets the 403 page;
- bad input (report without a short description; resolve without a code) shows a message next to
  the field and keeps what was typed;
- the portal and a queue are usable at 390×844: cards instead of a wide table, no sideways scroll.
"""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import expect

from opsdesk.core.testing.factories import incident_factory
from opsdesk.incidents.choices import Action, Status
from opsdesk.incidents.models import Incident
from opsdesk.incidents.services import attachment_create, incident_transition

LANGUAGES = ["en", "zh"]


def exactly(text: str) -> re.Pattern:
    """The whole (trimmed) text, optionally followed by the required-field star."""
    return re.compile(rf"^\s*{re.escape(text)}(\s*\*)?\s*$")


def field_box(page, control_id: str):
    """The .field wrapper of a form control: its label, the control, help and errors."""
    return page.locator(".field").filter(has=page.locator(f"#{control_id}"))


def assigned_to_net2(org, **data):
    incident = incident_factory(by=org.desk, requester=org.requester, **data)
    return incident_transition(incident=incident, action=Action.ASSIGN, by=org.desk,
                               assignment_group=org.groups["NET2"])


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_user_cannot_open_another_users_incident(lang, org, page_for, tr, shoot):
    incident = incident_factory(by=org.desk, requester=org.requester,
                                short_description="Salary sheet for March is corrupt")
    attachment = attachment_create(incident=incident, by=org.requester, upload=SimpleUploadedFile(
        "salaries.txt", b"confidential", content_type="text/plain"))
    colleague = page_for(org.colleague, lang)  # same department, not allowed to see its incidents

    response = colleague.goto(f"/incidents/{incident.number}/")
    assert response.status == 404
    expect(colleague.get_by_role("heading", level=1)).to_have_text(tr(lang, "Not found"))
    expect(colleague.locator("main")).to_contain_text(tr(
        lang, "There is no such page, or you may not see it. Check the incident number, or "
              "search your incidents."))
    expect(colleague.locator("main")).not_to_contain_text("Salary sheet")
    expect(colleague.get_by_role("link", name=tr(lang, "Back to the start page"))).to_be_visible()
    shoot(colleague, f"12-not-found-{lang}")

    download = colleague.request.get(f"/incidents/{incident.number}/attachments/{attachment.pk}/")
    assert download.status == 404 and b"confidential" not in download.body()
    colleague.goto("/portal/")
    expect(colleague.locator("main")).not_to_contain_text(incident.number)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_an_engineer_is_not_offered_close_and_a_forged_close_is_refused(lang, org, page_for, tr,
                                                                        shoot):
    incident = assigned_to_net2(org)
    engineer = page_for(org.engineer, lang)
    engineer.goto(f"/incidents/{incident.number}/")
    offered = engineer.locator("section.actions summary")
    expect(offered.filter(has_text=exactly(tr(lang, "Accept")))).to_have_count(1)
    expect(offered.filter(has_text=exactly(tr(lang, "Close")))).to_have_count(0)
    expect(engineer.locator("form[action$='/actions/close/']")).to_have_count(0)

    # A hand-made form with the page's own CSRF token, posted to the close action.
    with engineer.expect_response(lambda r: r.url.endswith("/actions/close/")) as refused:
        engineer.evaluate("""(url) => {
            const form = document.createElement("form");
            form.method = "post";
            form.action = url;
            form.append(document.querySelector("input[name=csrfmiddlewaretoken]").cloneNode());
            const code = document.createElement("input");
            code.name = "close-closure_code";
            code.value = "01";
            form.append(code);
            document.body.append(form);
            form.submit();
        }""", f"/incidents/{incident.number}/actions/close/")
    assert refused.value.status == 403
    expect(engineer.get_by_role("heading", level=1)).to_have_text(tr(lang, "You may not do this"))
    expect(engineer.locator("main")).to_contain_text(tr(
        lang, "Your account does not have permission for this page or action. If you think it "
              "should, ask the service desk or your administrator."))
    shoot(engineer, f"13-forbidden-{lang}")
    incident.refresh_from_db()
    assert incident.status == Status.ASSIGNED and incident.closed_at is None


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_report_form_keeps_what_was_typed_when_the_short_description_is_missing(
        lang, org, page_for, tr, shoot):
    user = page_for(org.requester, lang)
    user.goto("/portal/report/")
    details = "The VPN client says 'certificate expired' since 8:00.\nI restarted twice."
    user.get_by_label(exactly(tr(lang, "Details"))).fill(details)
    user.get_by_label(exactly(tr(lang, "How urgent is it?"))).select_option("2")
    user.get_by_label(exactly(tr(lang, "Phone to reach you"))).fill("+86 10 8888 0000")
    with user.expect_response(lambda r: r.request.method == "POST") as sent:
        user.get_by_role("button", name=tr(lang, "Send to the service desk")).click()
    assert sent.value.status == 422

    short = field_box(user, "id_short_description")
    expect(short.locator(".errors")).to_have_text(tr(lang, "This field is required."))
    expect(short).to_have_class(re.compile(r"\bhas-error\b"))
    expect(user.locator("#id_short_description")).to_have_attribute("aria-invalid", "true")
    expect(user.locator(".field.has-error")).to_have_count(1)
    expect(user.get_by_label(exactly(tr(lang, "Details")))).to_have_value(details)
    expect(user.get_by_label(exactly(tr(lang, "How urgent is it?")))).to_have_value("2")
    expect(user.get_by_label(exactly(tr(lang, "Phone to reach you")))).to_have_value(
        "+86 10 8888 0000")
    shoot(user, f"10-report-form-error-{lang}")
    assert not Incident.objects.exists()

    # Correcting the one field is enough.
    user.get_by_label(exactly(tr(lang, "What is wrong?"))).fill("VPN certificate expired")
    user.get_by_role("button", name=tr(lang, "Send to the service desk")).click()
    user.wait_for_url(re.compile(r"/incidents/INC\d{12}/$"))
    incident = Incident.objects.get()
    # Browsers send a textarea's line breaks as CRLF; the record keeps them as sent.
    assert (incident.description.replace("\r\n", "\n"), incident.urgency_id) == (details, 2)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_resolve_without_a_code_shows_the_message_at_the_code_and_keeps_the_text(
        lang, org, page_for, tr, status_label, shoot):
    incident = assigned_to_net2(org)
    incident_transition(incident=incident, action=Action.ACCEPT, by=org.engineer)
    engineer = page_for(org.engineer, lang)
    engineer.goto(f"/incidents/{incident.number}/")
    resolve = tr(lang, "Resolve")
    form = engineer.locator("section.actions details").filter(
        has=engineer.locator("summary").filter(has_text=exactly(resolve)))
    form.locator("summary").click()
    text = "Cleared the DNS cache on the client; name resolves again."
    form.get_by_label(exactly(tr(lang, "Resolution"))).fill(text)
    with engineer.expect_response(lambda r: r.request.method == "POST") as sent:
        form.get_by_role("button", name=resolve, exact=True).click()
    assert sent.value.status == 422

    # The page comes back with the Resolve form open, the message at the code, the text kept.
    expect(form).to_have_attribute("open", "")
    code = field_box(engineer, "id_resolve-resolution_code")
    expect(code.locator(".errors")).to_have_text(tr(lang, "Choose a resolution code."))
    expect(engineer.locator("#id_resolve-resolution_code")).to_have_attribute(
        "aria-invalid", "true")
    expect(form.get_by_label(exactly(tr(lang, "Resolution")))).to_have_value(text)
    expect(engineer.locator(".incident-head .badge")).to_have_text(
        status_label(lang, "in_progress"))
    shoot(engineer, f"11-resolve-error-{lang}")
    incident.refresh_from_db()
    assert incident.status == Status.IN_PROGRESS and incident.resolution == ""


def assert_fits_a_phone(page):
    """No sideways scrolling of the page or the table; each row's cells within the screen."""
    layout = page.evaluate("""() => {
        const width = window.innerWidth;
        const wrap = document.querySelector(".table-wrap");
        const cells = [...document.querySelectorAll("table.responsive tbody td[data-label]")];
        return {
            width,
            pageWidth: document.documentElement.scrollWidth,
            wrapOverflow: wrap.scrollWidth - wrap.clientWidth,
            headHidden: getComputedStyle(document.querySelector("table.responsive thead"))
                            .display === "none",
            cellsOutside: cells.filter(td => td.getBoundingClientRect().right > width + 0.5)
                               .map(td => td.textContent.trim()),
            cellsClipped: cells.filter(td => td.scrollWidth > td.clientWidth + 1)
                               .map(td => td.textContent.trim()),
            unlabelled: cells.filter(td => !getComputedStyle(td, "::before").content
                                           .includes(td.dataset.label)).length,
        };
    }""")
    assert layout["width"] == 390, layout
    assert layout["pageWidth"] <= layout["width"], layout
    assert layout["wrapOverflow"] <= 0, layout
    assert layout["headHidden"], layout
    assert layout["cellsOutside"] == [] and layout["cellsClipped"] == [], layout
    assert layout["unlabelled"] == 0, layout


@pytest.mark.parametrize("lang", LANGUAGES)
def test_portal_and_queue_on_a_phone(lang, org, page_for, tr, shoot):
    texts = [("Outlook asks for my password again and again since the Windows update this "
              "morning, also on the laptop in meeting room 12F-East"),
             "Cannot open the budget workbook on the finance share",
             "打印机卡纸"]
    numbers = [incident_factory(by=org.requester, requester=org.requester,
                                short_description=text).number for text in texts]

    user = page_for(org.requester, lang, phone=True)
    user.goto("/portal/")
    for number in numbers:
        expect(user.get_by_role("link", name=number, exact=True)).to_be_visible()
    expect(user.get_by_role("link", name=tr(lang, "Report an incident")).first).to_be_visible()
    assert_fits_a_phone(user)
    shoot(user, f"20-phone-portal-{lang}")

    desk = page_for(org.desk, lang, phone=True)
    desk.goto("/work/unassigned/")
    for number in numbers:
        expect(desk.get_by_role("link", name=number, exact=True)).to_be_visible()
    assert_fits_a_phone(desk)
    shoot(desk, f"21-phone-queue-{lang}")
