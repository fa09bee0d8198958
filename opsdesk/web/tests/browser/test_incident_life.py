"""The life of one incident as the five people live it, in the browser, in English and Chinese.

The user reports it with a file; the desk takes it from the Unassigned queue and assigns it to
NET2; the engineer finds it in My groups, accepts it and pends it with a question to the user; the
user answers (the system resumes it); the engineer resolves it; the desk sees it among the
resolved incidents to confirm; the user confirms and it is closed. Each step checks what that
person sees, with status labels in the page's language.
"""

import re

import pytest
from playwright.sync_api import expect

from opsdesk.incidents.choices import Status
from opsdesk.incidents.models import Incident
from opsdesk.reference.models import PendingReason, ResolutionCode
from opsdesk.web.views.work import QUEUES

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
NUMBER = re.compile(r"/incidents/(INC\d{12})/$")


def exactly(text: str) -> re.Pattern:
    """The whole (trimmed) text, optionally followed by the required-field star."""
    return re.compile(rf"^\s*{re.escape(text)}(\s*\*)?\s*$")


def open_action(page, label: str):
    """Open the action's <details> (named by the action label) and return it."""
    details = page.locator("section.actions details").filter(
        has=page.locator("summary").filter(has_text=exactly(label)))
    expect(details).to_have_count(1)
    details.locator("summary").click()
    expect(details).to_have_attribute("open", "")
    return details


def take_action(page, label: str, status: str, **fill):
    """Open an action, fill its fields by their labels, submit, and wait for the new status."""
    details = open_action(page, label)
    for field_label, value in fill.get("fields", {}).items():
        details.get_by_label(exactly(field_label)).fill(value)
    for field_label, option in fill.get("choices", {}).items():
        details.get_by_label(exactly(field_label)).select_option(label=option)
    details.get_by_role("button", name=label, exact=True).click()
    expect(status_badge(page)).to_have_text(status)
    return details


def status_badge(page):
    return page.locator(".incident-head .badge")


def fact(page, label: str):
    """The value (dd) of a line of the record card, found by its visible term (dt)."""
    return page.locator("dl.facts dt").filter(has_text=exactly(label)).locator(
        "xpath=following-sibling::dd[1]")


def queue_link(page, tr, lang, slug: str):
    """The link to a queue in the workspace's queue bar, by the queue's label and its count."""
    label = tr(lang, next(q.label for q in QUEUES if q.slug == slug))
    bar = page.get_by_role("navigation", name=tr(lang, "Queues"))
    return bar.get_by_role("link", name=re.compile(rf"^{re.escape(label)}\s+\d+$"))


def row_of(page, number: str):
    return page.get_by_role("row").filter(has=page.get_by_role("link", name=number, exact=True))


def open_incident(page, number: str):
    page.get_by_role("link", name=number, exact=True).click()
    page.wait_for_url(f"**/incidents/{number}/")


def code_option(model, code: str, lang: str) -> str:
    """How a code-table row is offered in a select: '08 Network repaired' / '08 网络修复'."""
    row = model.objects.get(pk=code)
    return f"{row.code} {row.name_en if lang == 'en' else row.name_zh}"


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_life_of_an_incident(lang, org, new_page, page_for, tr, status_label, shoot):
    def t(text):
        return tr(lang, text)

    def status(key):
        return status_label(lang, key)

    net2 = org.groups["NET2"]
    net2_name = net2.name_en if lang == "en" else net2.name_zh
    awaiting_user = code_option(PendingReason, "01", lang)
    network_repaired = code_option(ResolutionCode, "08", lang)
    short = f"Printer on floor 3 prints blank pages ({lang})"
    question = "Which printer exactly? Please read me the asset tag on its front."
    answer = "It is the HP in room 305, asset tag PRN-0305."
    resolution = "Replaced the toner cartridge and cleaned the drum; test page printed."

    # The sign-in page, as anyone first sees it.
    anonymous = new_page(lang)
    anonymous.goto("/login/")
    expect(anonymous.locator("#id_username")).to_be_visible()
    shoot(anonymous, f"01-login-{lang}")

    # (1) The user reports it in the portal, with a screenshot.
    user = page_for(org.requester, lang)
    expect(user).to_have_url(re.compile(r"/portal/$"))
    expect(user.get_by_role("heading", level=1)).to_have_text(t("My incidents"))
    expect(user.get_by_role("cell", name=t("You have not reported any incident yet."))) \
        .to_be_visible()
    user.get_by_role("navigation", name=t("Main")).get_by_role(
        "link", name=t("Report an incident")).click()
    user.wait_for_url("**/portal/report/")
    user.get_by_label(exactly(t("What is wrong?"))).fill(short)
    user.get_by_label(exactly(t("Details"))).fill("Since this morning every page comes out blank.")
    user.get_by_label(exactly(t("How urgent is it?"))).select_option("2")
    user.get_by_label(exactly(t("Screenshots or files"))).set_input_files(
        files=[{"name": "blank-page.png", "mimeType": "image/png", "buffer": PNG}])
    shoot(user, f"02-report-form-{lang}")
    user.get_by_role("button", name=t("Send to the service desk")).click()
    user.wait_for_url(NUMBER)
    number = NUMBER.search(user.url).group(1)
    expect(user.locator(".incident-head .num")).to_have_text(number)
    expect(user.locator(".messages")).to_contain_text(number)
    expect(status_badge(user)).to_have_text(status("logged"))
    expect(user.get_by_role("link", name="blank-page.png")).to_be_visible()

    # (2) The desk opens it from the Unassigned queue and assigns it to NET2.
    desk = page_for(org.desk, lang)
    expect(desk).to_have_url(re.compile(r"/work/$"))
    queue_link(desk, tr, lang, "unassigned").click()
    desk.wait_for_url("**/work/unassigned/")
    row = row_of(desk, number)
    expect(row).to_contain_text(short)
    expect(row).to_contain_text(status("logged"))
    shoot(desk, f"03-queue-unassigned-{lang}")
    open_incident(desk, number)
    expect(status_badge(desk)).to_have_text(status("logged"))
    expect(desk.get_by_role("link", name="blank-page.png")).to_be_visible()
    details = open_action(desk, t("Assign"))
    details.get_by_label(exactly(t("Group"))).select_option(label=net2_name)
    shoot(desk, f"04-incident-desk-{lang}")
    details.get_by_role("button", name=t("Assign"), exact=True).click()
    expect(status_badge(desk)).to_have_text(status("assigned"))
    expect(fact(desk, t("Group"))).to_have_text(net2_name)
    expect(fact(desk, t("Owner"))).to_have_text(org.desk.label)

    # (3) The engineer finds it in My groups, accepts it and asks the user a question.
    engineer = page_for(org.engineer, lang)
    queue_link(engineer, tr, lang, "group").click()
    engineer.wait_for_url("**/work/group/")
    expect(row_of(engineer, number)).to_contain_text(status("assigned"))
    open_incident(engineer, number)
    expect(engineer.locator("section.actions summary").filter(
        has_text=exactly(t("Close")))).to_have_count(0)
    take_action(engineer, t("Accept"), status("in_progress"))
    expect(fact(engineer, t("Assignee"))).to_have_text(org.engineer.label)
    take_action(engineer, t("Pend"), status("pending"),
                choices={t("Waiting for"): awaiting_user}, fields={t("Reason"): question})
    expect(fact(engineer, t("Waiting for"))).to_have_text(awaiting_user.split(" ", 1)[1])

    # (4) The user sees it pending with the question, and answers; that resumes it.
    user.get_by_role("navigation", name=t("Main")).get_by_role(
        "link", name=t("My incidents")).click()
    user.wait_for_url("**/portal/")
    expect(row_of(user, number)).to_contain_text(status("pending"))
    shoot(user, f"05-portal-list-{lang}")
    open_incident(user, number)
    expect(status_badge(user)).to_have_text(status("pending"))
    expect(user.locator(".timeline")).to_contain_text(question)
    shoot(user, f"06-incident-user-{lang}")
    user.get_by_label(exactly(t("Message"))).fill(answer)
    user.get_by_role("button", name=t("Send"), exact=True).click()
    expect(status_badge(user)).to_have_text(status("in_progress"))
    expect(user.locator(".timeline")).to_contain_text(answer)

    # (5) The engineer sees the answer and resolves it with a text and a code.
    engineer.reload()
    expect(status_badge(engineer)).to_have_text(status("in_progress"))
    expect(engineer.locator(".timeline")).to_contain_text(answer)
    take_action(engineer, t("Resolve"), status("resolved"),
                fields={t("Resolution"): resolution},
                choices={t("Resolution code"): network_repaired})
    expect(engineer.locator("main")).to_contain_text(resolution)

    # (6) The desk, its owner, sees it among the resolved incidents to confirm with the user.
    desk.get_by_role("navigation", name=t("Main")).get_by_role("link", name=t("Workspace")).click()
    desk.wait_for_url("**/work/")
    queue_link(desk, tr, lang, "to-confirm").click()
    desk.wait_for_url("**/work/to-confirm/")
    expect(row_of(desk, number)).to_contain_text(status("resolved"))
    shoot(desk, f"07-queue-to-confirm-{lang}")

    # (7) The user reads the resolution and confirms it.
    user.get_by_role("navigation", name=t("Main")).get_by_role(
        "link", name=t("My incidents")).click()
    user.wait_for_url("**/portal/")
    expect(row_of(user, number)).to_contain_text(status("resolved"))
    open_incident(user, number)
    expect(user.locator("main")).to_contain_text(resolution)
    shoot(user, f"08-incident-resolved-user-{lang}")
    take_action(user, t("Confirm resolution"), status("closed"))

    # (8) It is closed: nothing more to do on it, for the user or the desk.
    expect(user.locator("section.actions")).to_have_count(0)
    expect(user.get_by_label(exactly(t("Message")))).to_have_count(0)
    shoot(user, f"09-incident-closed-user-{lang}")
    user.get_by_role("navigation", name=t("Main")).get_by_role(
        "link", name=t("My incidents")).click()
    expect(row_of(user, number)).to_contain_text(status("closed"))
    desk.reload()
    expect(row_of(desk, number)).to_have_count(0)
    desk.goto(f"/incidents/{number}/")
    expect(status_badge(desk)).to_have_text(status("closed"))

    incident = Incident.objects.get(number=number)
    assert incident.status == Status.CLOSED
    assert incident.closure_code_id == "01"  # permanently fixed: confirmed by the user
    assert (incident.owner, incident.assignee) == (org.desk, org.engineer)
    assert incident.resolution_code_id == "08" and incident.reopen_count == 0
    assert incident.attachments.count() == 1
