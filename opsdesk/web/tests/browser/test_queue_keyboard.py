"""The queue from the keyboard: j/k, x, o, / and ? as an agent uses them, and bulk work in the
browser; keys typed into the search box stay in the search box."""

import re

from playwright.sync_api import expect

from opsdesk.core.testing.factories import incident_factory
from opsdesk.incidents.models import Incident
from opsdesk.incidents.services import incident_transition


def log_three(org):
    return [incident_factory(by=org.desk, requester=org.requester,
                             short_description=f"Keyboard case {n}").number for n in range(3)]


def focused_number(page) -> str:
    return page.evaluate("document.activeElement.closest('tr')?.dataset.number || ''")


def test_keyboard_moves_selects_and_opens(org, page_for, shoot):
    newest_first = list(reversed(log_three(org)))
    desk = page_for(org.desk)
    desk.goto("/work/unassigned/")
    expect(desk.locator("#queue-table tbody tr[data-number]")).to_have_count(3)

    desk.keyboard.press("j")
    assert focused_number(desk) == newest_first[0]
    desk.keyboard.press("j")
    desk.keyboard.press("j")
    desk.keyboard.press("j")  # stays on the last row
    assert focused_number(desk) == newest_first[2]
    desk.keyboard.press("k")
    assert focused_number(desk) == newest_first[1]
    expect(desk.locator("tr.is-focused")).to_have_attribute("data-number", newest_first[1])

    desk.keyboard.press("x")
    expect(desk.locator(f'input[name="numbers"][value="{newest_first[1]}"]')).to_be_checked()
    expect(desk.locator("#bulk-count")).to_have_text("1")

    # "/" goes to the search box; letters typed there are text, not shortcuts.
    desk.keyboard.press("/")
    expect(desk.locator("#q")).to_be_focused()
    desk.keyboard.type("jkxo?")
    expect(desk.locator("#q")).to_have_value("jkxo?")
    expect(desk.locator("#queue-shortcuts")).not_to_have_attribute("open", "")
    desk.locator("#q").fill("")
    desk.keyboard.press("Escape")  # leaves the search box; the shortcuts work again
    expect(desk.locator("#q")).not_to_be_focused()

    desk.keyboard.press("?")
    expect(desk.locator("#queue-shortcuts")).to_have_attribute("open", "")
    shoot(desk, "30-queue-keyboard-help")
    desk.keyboard.press("?")
    expect(desk.locator("#queue-shortcuts")).not_to_have_attribute("open", "")

    desk.keyboard.press("j")  # back to the table, to the row after the one last focused
    assert focused_number(desk) == newest_first[2]
    desk.keyboard.press("o")
    desk.wait_for_url(f"**/incidents/{newest_first[2]}/")


def test_select_all_and_bulk_assign_in_the_browser(org, page_for):
    numbers = log_three(org)
    desk = page_for(org.desk)
    desk.goto("/work/unassigned/")
    desk.locator("#select-all").check()
    expect(desk.locator("#bulk-count")).to_have_text("3")
    desk.locator("#bulk-panel summary").click()
    desk.locator('#bulk select[name="assignment_group"]').select_option("NET2")
    desk.locator('#bulk select[name="assignee"]').select_option("engineer")
    desk.get_by_role("button", name="Assign selected").click()
    desk.wait_for_url("**/work/unassigned/")
    expect(desk.locator(".message.success")).to_contain_text("3 incidents changed")
    expect(desk.locator("#queue-table tbody tr[data-number]")).to_have_count(0)
    assert set(Incident.objects.filter(assignee=org.engineer).values_list("number", flat=True)) \
        == set(numbers)


def test_refresh_keeps_filters_sort_and_selection(org, page_for):
    numbers = log_three(org)
    desk = page_for(org.desk)
    desk.clock.install()  # the 30-second poll runs when the test says so
    desk.goto("/work/open/?sort=registered_at&q=Keyboard")
    desk.locator(f'input[name="numbers"][value="{numbers[0]}"]').check()
    incident_factory(by=org.desk, requester=org.requester, short_description="Keyboard case 3")
    with desk.expect_response(re.compile(r"/work/open/\?sort=registered_at&q=Keyboard$")):
        desk.clock.run_for(31_000)
    expect(desk.locator("#queue-table tbody tr[data-number]")).to_have_count(4)
    expect(desk.locator(f'input[name="numbers"][value="{numbers[0]}"]')).to_be_checked()
    expect(desk.locator("#queue-table tbody tr[data-number]").first).to_have_attribute(
        "data-number", numbers[0])  # still oldest first


def test_engineer_queue_on_a_phone(org, page_for, shoot):
    numbers = log_three(org)
    for number in numbers:
        incident = Incident.objects.get(number=number)
        incident_transition(incident=incident, action="assign", by=org.desk,
                            assignment_group=org.groups["NET2"])
    engineer = page_for(org.engineer, phone=True)
    engineer.goto("/work/group/")
    for number in numbers:
        expect(engineer.get_by_role("link", name=number, exact=True)).to_be_visible()
    layout = engineer.evaluate("""() => ({
        width: window.innerWidth, pageWidth: document.documentElement.scrollWidth,
        tabsHeight: document.querySelector('nav.tabs').getBoundingClientRect().height,
        tabHeight: document.querySelector('nav.tabs a').getBoundingClientRect().height,
    })""")
    assert layout["width"] == 390 and layout["pageWidth"] <= layout["width"], layout
    assert layout["tabsHeight"] < 2 * layout["tabHeight"], layout  # one line, scrolls sideways
    shoot(engineer, "31-phone-engineer-queue")
