"""A desk agent logs a phone call in the browser, mostly from the keyboard.

The agent finds the caller by typing part of the name (arrow down, Enter), sees their department,
phone and open incidents; types the short description and sees a similar open incident, which
they link; sets impact and urgency and watches the priority follow the matrix; assigns the
incident to a group and one of its members; logs it and lands on the new incident. The same form
at phone width has no sideways scroll.
"""

import re

from playwright.sync_api import expect

from opsdesk.core.testing.factories import incident_factory
from opsdesk.incidents.choices import Status
from opsdesk.incidents.models import Incident

NUMBER = re.compile(r"/incidents/(INC\d{12})/$")


def test_desk_logs_a_phone_call_with_type_ahead_and_live_priority(org, page_for, shoot):
    org.requester.display_name, org.requester.phone = "Zhang Min", "021-5555-0101"
    org.requester.save()
    known = incident_factory(by=org.desk, requester=org.colleague,
                             short_description="VPN disconnects every few minutes")
    page = page_for(org.desk, "en")
    page.goto("/work/")
    page.get_by_role("link", name="Log an incident").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Log an incident")

    # Type-ahead: part of the name, then the keyboard.
    query = page.get_by_label(re.compile(r"^Requester"))
    query.press_sequentially("zhang", delay=30)
    choice = page.locator("#requester-results .person-choice")
    expect(choice).to_have_count(1)
    expect(choice).to_contain_text("Finance · 021-5555-0101")
    query.press("ArrowDown")
    expect(choice).to_be_focused()
    page.keyboard.press("Enter")
    card = page.locator(".person-card")
    expect(card).to_contain_text("Zhang Min")
    expect(card).to_contain_text("Finance")
    expect(card).to_contain_text("021-5555-0101")
    expect(card).to_contain_text("No open incidents.")
    expect(page.locator("#id_requester")).to_have_value(str(org.requester.pk))
    expect(page.get_by_label("Source *")).to_have_value("01")  # a phone call by default

    # The similar open incident appears while typing; link this report to it.
    page.get_by_label("Short description *").press_sequentially("VPN keeps disconnecting",
                                                                delay=20)
    similar = page.locator("#similar")
    expect(similar).to_contain_text(known.number)
    similar.get_by_role("radio", name=re.compile(known.number)).check()

    # Priority follows impact × urgency as they change.
    preview = page.locator("#priority-preview")
    expect(preview).to_contain_text("P3")
    page.get_by_label("Impact *").select_option("2")
    page.get_by_label("Urgency *").select_option("1")
    expect(preview.locator(".prio")).to_have_text("P1")
    page.get_by_label("Urgency *").select_option("3")
    expect(preview.locator(".prio")).to_have_text("P2")

    # Assign to NET2 and one of its members: the person list follows the group.
    page.get_by_label("Assign to group").select_option(str(org.groups["NET2"].pk))
    assignee = page.get_by_label("Assign to person")
    expect(assignee.locator("option")).to_have_count(2)
    assignee.select_option(label="Engineer (engineer)")
    shoot(page, "20-desk-log-filled")

    page.get_by_role("button", name="Log the incident", exact=True).click()
    page.wait_for_url(NUMBER)
    number = NUMBER.search(page.url).group(1)
    expect(page.locator(".messages")).to_contain_text(f"{number} is logged and assigned to")
    incident = Incident.objects.get(number=number)
    assert (incident.requester, incident.parent, incident.priority_id, incident.source_id) == (
        org.requester, known, 2, "01")
    assert (incident.status, incident.assignee) == (Status.ASSIGNED, org.engineer)
    shoot(page, "21-desk-log-saved")

    phone = page_for(org.desk, "en", phone=True)
    phone.goto("/work/log/")
    expect(phone.get_by_role("button", name="Log the incident", exact=True)).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shoot(phone, "22-desk-log-phone")
