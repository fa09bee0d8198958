"""The incident page and the portal form in the browser, in English and Chinese, desk and phone.

- the report form shows every field whole at 390 px and at 1280 px, and takes where and since when;
- the desk picks a group and then only its members (htmx fills the list), adds a collaborator and
  a watcher, records the vendor's ticket; the requester reads names, never codes, and withdraws.
"""

import re

import pytest
from playwright.sync_api import expect

from opsdesk.core.testing.factories import LocationFactory, VendorFactory, incident_factory
from opsdesk.incidents.choices import Status
from opsdesk.incidents.models import Incident

LANGUAGES = ["en", "zh"]
NUMBER = re.compile(r"/incidents/(INC\d{12})/$")


def exactly(text: str) -> re.Pattern:
    """The whole (trimmed) text, optionally followed by the required-field star."""
    return re.compile(rf"^\s*{re.escape(text)}(\s*\*)?\s*$")


def fact(page, label: str):
    return page.locator("dl.facts dt").filter(has_text=exactly(label)).locator(
        "xpath=following-sibling::dd[1]")


def assert_fields_fully_visible(page):
    """Every control of the form lies inside the card and the viewport: nothing is cut off."""
    width = page.viewport_size["width"]
    card = page.locator("main form.card").bounding_box()
    controls = page.locator("main form.card .field").locator("input, select, textarea")
    assert controls.count() >= 10
    for i in range(controls.count()):
        box = controls.nth(i).bounding_box()
        assert box is not None and box["width"] > 40
        assert box["x"] >= card["x"] - 1 and box["x"] + box["width"] <= card["x"] + card["width"] + 1
        assert box["x"] + box["width"] <= width
    assert page.evaluate("document.documentElement.scrollWidth") <= width


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_report_form_shows_every_field_and_takes_where_and_when(lang, phone, org, page_for, tr,
                                                                shoot):
    def t(text):
        return tr(lang, text)

    site = LocationFactory(code="HQ5", name_en="Head office, 5th floor", name_zh="总部五楼")
    site_name = site.name_en if lang == "en" else site.name_zh
    user = page_for(org.requester, lang, phone=phone)
    user.goto("/portal/report/")
    assert_fields_fully_visible(user)
    shoot(user, f"30-report-form-{'phone' if phone else 'desktop'}-{lang}")

    user.get_by_label(exactly(t("What is wrong?"))).fill("Scanner does not start")
    user.get_by_label(exactly(t("Who is affected?"))).select_option("3")
    user.get_by_label(exactly(t("Where is it?"))).select_option(label=site_name)
    # A start time in the future is refused next to its field; what was typed stays.
    started = user.get_by_label(exactly(t("When did it start?")))
    started.fill("2999-01-01T09:30")
    user.get_by_role("button", name=t("Send to the service desk")).click()
    box = user.locator(".field").filter(has=user.locator("#id_occurred_at"))
    expect(box.locator(".errors")).to_contain_text(t(
        "This is in the future; enter when it really started."))
    expect(user.get_by_label(exactly(t("What is wrong?")))).to_have_value("Scanner does not start")
    expect(user.get_by_label(exactly(t("Who is affected?")))).to_have_value("3")
    expect(started).to_be_focused()
    assert_fields_fully_visible(user)
    shoot(user, f"31-report-form-error-{'phone' if phone else 'desktop'}-{lang}")

    started.fill("2024-05-06T08:15")
    user.get_by_role("button", name=t("Send to the service desk")).click()
    user.wait_for_url(NUMBER)
    expect(fact(user, t("Location"))).to_have_text(site_name)
    expect(fact(user, t("Occurred"))).to_have_text("2024-05-06 08:15")  # the browser's zone
    incident = Incident.objects.get()
    assert incident.location == site and incident.impact_id == 3


@pytest.mark.parametrize("lang", LANGUAGES)
def test_desk_assigns_to_a_member_adds_people_and_the_vendor_ticket(lang, org, page_for, tr,
                                                                    shoot):
    def t(text):
        return tr(lang, text)

    org.engineer.display_name, org.expert.display_name = "王伟", "李娜"
    org.engineer.save(), org.expert.save()
    vendor = VendorFactory(name="Acme Printers", phone="400-800-1234")
    incident = incident_factory(by=org.desk, requester=org.requester)
    net2 = org.groups["NET2"]
    net2_name = net2.name_en if lang == "en" else net2.name_zh
    desk = page_for(org.desk, lang)
    desk.goto(f"/incidents/{incident.number}/")

    # Assign: the assignee list fills with the chosen group's members only.
    assign = desk.locator("#action-assign")
    assign.locator("summary").click()
    assignee = assign.get_by_label(exactly(t("Assignee")))
    expect(assignee.locator("option")).to_have_count(1)
    assign.get_by_label(exactly(t("Group"))).select_option(label=net2_name)
    expect(assignee.locator("option")).to_have_count(2)
    expect(assignee.locator("option").nth(1)).to_have_text("王伟 (engineer)")
    assignee.select_option(label="王伟 (engineer)")
    shoot(desk, f"32-assign-members-{lang}")
    assign.get_by_role("button", name=t("Assign"), exact=True).click()
    expect(fact(desk, t("Assignee"))).to_have_text("王伟")
    expect(desk.locator("#action-assign summary")).to_have_text(t("Reassign or escalate"))

    # People: a collaborator from the staff list, a watcher by e-mail.
    desk.get_by_label(exactly(t("Add a collaborator"))).select_option(label="李娜")
    desk.locator("form.add-person").filter(has=desk.locator("#id_collaborators-person")) \
        .get_by_role("button", name=t("Add")).click()
    expect(fact(desk, t("Collaborators")).locator("ul.people li")).to_have_text(["李娜 ×"])
    desk.get_by_label(exactly(t("Add a watcher"))).fill("nobody@example.com")
    desk.locator("form.add-person").filter(has=desk.locator("#id_watchers-person")) \
        .get_by_role("button", name=t("Add")).click()
    watcher_box = desk.locator(".field").filter(has=desk.locator("#id_watchers-person"))
    expect(watcher_box.locator(".errors")).to_be_visible()
    expect(desk.get_by_label(exactly(t("Add a watcher")))).to_have_value("nobody@example.com")
    desk.get_by_label(exactly(t("Add a watcher"))).fill(org.colleague.email)
    desk.locator("form.add-person").filter(has=desk.locator("#id_watchers-person")) \
        .get_by_role("button", name=t("Add")).click()
    expect(fact(desk, t("Watchers")).locator("ul.people li")).to_have_text(
        [f"{org.colleague.label} ×"])

    # The vendor and its ticket number, in the record edit form.
    edit = desk.locator("section.actions details").filter(
        has=desk.locator("summary", has_text=t("Edit the record")))
    edit.locator("summary").click()
    edit.get_by_label(exactly(t("Vendor"))).select_option(label="Acme Printers")
    edit.get_by_label(exactly(t("Vendor's ticket number"))).fill("ACME-77")
    edit.get_by_role("button", name=t("Save")).click()
    expect(fact(desk, t("Vendor"))).to_contain_text("Acme Printers")
    expect(fact(desk, t("Vendor"))).to_contain_text("ACME-77")
    expect(fact(desk, t("Vendor"))).to_contain_text(vendor.phone)
    shoot(desk, f"33-incident-desk-people-vendor-{lang}")
    desk.set_viewport_size({"width": 390, "height": 844})
    shoot(desk, f"34-incident-desk-phone-{lang}")
    assert desk.evaluate("document.documentElement.scrollWidth") <= 390

    # Remove the collaborator with the × next to the name.
    fact(desk, t("Collaborators")).get_by_role(
        "button", name=t("Remove %(name)s") % {"name": "李娜"}).click()
    expect(fact(desk, t("Collaborators")).locator("ul.people li")).to_have_count(0)
    timeline = desk.locator(".timeline")
    expect(timeline).to_contain_text("李娜")
    expect(timeline).not_to_contain_text("expert")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_requester_reads_names_and_withdraws(lang, org, page_for, tr, status_label, shoot):
    from opsdesk.incidents.refs import resolve_refs
    from opsdesk.incidents.services import incident_transition, incident_update

    def t(text):
        return tr(lang, text)

    org.desk.display_name = "赵敏"
    org.desk.save()
    incident = incident_factory(by=org.desk, requester=org.requester)
    incident_update(incident=incident, by=org.desk, data=resolve_refs({"impact": 2}))
    incident_transition(incident=incident, action="assign", by=org.desk,
                        assignment_group=org.groups["NET2"])
    user = page_for(org.requester, lang)
    user.goto(f"/incidents/{incident.number}/")
    timeline = user.locator(".timeline")
    impact = incident.impact
    expect(timeline).to_contain_text(f"“{impact.name_en if lang == 'en' else impact.name_zh}”")
    expect(timeline).to_contain_text("赵敏")
    expect(timeline).not_to_contain_text("“2”")
    expect(timeline).not_to_contain_text("NET2")
    shoot(user, f"35-incident-requester-{lang}")

    withdraw = user.locator("section.actions details").filter(
        has=user.locator("summary", has_text=exactly(t("Withdraw"))))
    withdraw.locator("summary").click()
    withdraw.get_by_label(exactly(t("Reason"))).fill("It works again")
    withdraw.get_by_role("button", name=t("Withdraw"), exact=True).click()
    expect(user.locator(".incident-head .badge")).to_have_text(status_label(lang, "cancelled"))
    incident.refresh_from_db()
    assert incident.status == Status.CANCELLED
    shoot(user, f"36-incident-withdrawn-{lang}")
