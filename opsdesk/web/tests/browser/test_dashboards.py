"""The dashboards in the browser: the charts draw (an SVG inside each figure) in English and in
Chinese, on a desk and on a phone; clicking a bar opens the workspace list of exactly the
incidents it counts; the numbers table stays one click away. Screenshots for review."""

import pytest
from playwright.sync_api import expect

from opsdesk.core.testing.factories import UserFactory, incident_factory
from opsdesk.incidents.services import incident_transition
from opsdesk.measures.rollups import rollup_tick
from opsdesk.reference.models import Priority, ResolutionCode

LANGUAGES = ["en", "zh"]
# Priority names as the charts must show them, written out so a wrong language fails the test.
P1_LABEL = {"en": "P1 Critical", "zh": "P1 一级"}
# Headings and chart titles as the pages must show them (a missing translation fails).
LIVE = {"en": "Live operations", "zh": "实时运营"}
BY_PRIORITY = {"en": "Open incidents by priority", "zh": "按优先级统计的未解决事件"}
PROCESS = {"en": "Process dashboard", "zh": "流程仪表盘"}


def log(org, level: int, group: str | None = None, assignee=None, text="Printer offline"):
    incident = incident_factory(by=org.desk, requester=org.requester, short_description=text,
                                priority=Priority.objects.get(pk=level),
                                priority_override_reason="Browser test")
    if group:
        incident = incident_transition(incident=incident, action="assign", by=org.manager,
                                       assignment_group=org.groups[group], assignee=assignee)
    return incident


@pytest.fixture
def floor(org):
    """Open: two P1 in NET2 (one at the engineer), a P2 in APP2, a P3 with no group; one P2
    resolved in NET2 by the engineer."""
    p1s = [log(org, 1, "NET2", org.engineer, "Core switch down"), log(org, 1, "NET2")]
    log(org, 2, "APP2", text="ERP slow")
    log(org, 3, text="Mouse broken")
    done = log(org, 2, "NET2", org.engineer, "VPN drops")
    incident_transition(incident=done, action="resolve", by=org.engineer, resolution="Fixed",
                        resolution_code=ResolutionCode.objects.get(pk="01"))
    rollup_tick()
    return type("Floor", (), {"p1s": p1s})


# plotly.js is 4.8 MB, fetched anew by each fresh browser context: on a busy machine the page's
# load event can take longer than an action's timeout, so the tests wait for the charts instead.
PLOTLY_MS = 60_000


def open_page(page, path: str) -> None:
    page.goto(path, wait_until="commit")


def charts_drawn(page, count: int) -> None:
    """Every figure holds Plotly's SVG once the deferred scripts ran."""
    figures = page.locator("figure.chart")
    expect(figures).to_have_count(count, timeout=PLOTLY_MS)
    for index in range(count):
        expect(figures.nth(index).locator(".chart-plot svg.main-svg").first).to_be_visible(
            timeout=PLOTLY_MS)


def click_bar(page, figure_title: str, bar: int = 0) -> None:
    """Click the middle of a bar, as a person does (Plotly reads the point under the mouse)."""
    figure = page.locator("figure.chart").filter(has_text=figure_title)
    press(page, figure.locator(".barlayer .point path").nth(bar))


def press(page, bar) -> None:
    bar.scroll_into_view_if_needed()
    box = bar.bounding_box()  # in the viewport, once scrolled to
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_live_operations_draw_and_a_bar_opens_its_incidents(org, floor, page_for, shoot, lang):
    page = page_for(org.manager, lang)
    open_page(page, "/dashboards/operations/")
    charts_drawn(page, 4)
    expect(page.locator("h1")).to_have_text(LIVE[lang])
    by_priority = page.locator("figure.chart").filter(has_text=BY_PRIORITY[lang]).first
    expect(by_priority.locator(".xtick").first).to_have_text(P1_LABEL[lang])
    expect(by_priority.locator("details.chart-data")).not_to_have_attribute("open", "")
    shoot(page, f"90-dashboard-operations-{lang}")
    click_bar(page, BY_PRIORITY[lang], bar=0)  # P1: two incidents
    page.wait_for_url("**/work/open/?priority=1")
    expect(page.locator("tbody tr[data-number]")).to_have_count(2)
    for incident in floor.p1s:
        expect(page.locator(f"tbody tr[data-number='{incident.number}']")).to_be_visible()


def test_live_operations_on_a_phone(org, floor, page_for, shoot):
    page = page_for(org.manager, "zh", phone=True)
    open_page(page, "/dashboards/operations/")
    charts_drawn(page, 4)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, "the page must not scroll sideways on a phone"
    shoot(page, "91-dashboard-operations-phone-zh")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_group_dashboard_members_load_opens_their_incidents(org, floor, page_for, shoot, lang,
                                                            tr):
    UserFactory(username="engineer2", is_engineer=True).support_groups.add(org.groups["NET2"])
    page = page_for(org.engineer, lang)
    open_page(page, "/dashboards/groups/")
    page.wait_for_url("**/dashboards/groups/NET2/", wait_until="commit")
    charts_drawn(page, 2)
    shoot(page, f"92-dashboard-group-{lang}")
    click_bar(page, tr(lang, "Members' load"), bar=0)  # the engineer's open incidents
    page.wait_for_url("**/work/group/**")
    expect(page.locator("tbody tr[data-number]")).to_have_count(1)
    expect(page.locator(f"tbody tr[data-number='{floor.p1s[0].number}']")).to_be_visible()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_process_dashboard_draws_every_chart(org, floor, page_for, shoot, lang, tr):
    page = page_for(org.owner, lang)
    open_page(page, "/dashboards/process/")
    charts_drawn(page, 9)  # rates, four trends, four breakdowns
    expect(page.locator("h1")).to_have_text(PROCESS[lang])
    shoot(page, f"93-dashboard-process-{lang}")
    volume = page.locator("figure.chart").filter(has_text=tr(lang, "Volume")).filter(
        has=page.locator(".barlayer")).first
    press(page, volume.locator(".barlayer .point path").last)  # this month
    page.wait_for_url("**/work/all/**")
    expect(page.locator("tbody tr[data-number]")).to_have_count(5)


def test_numbers_table_opens_without_the_chart(org, floor, page_for):
    page = page_for(org.manager, "en")
    open_page(page, "/dashboards/operations/")
    charts_drawn(page, 4)
    figure = page.locator("figure.chart").filter(has_text="Open incidents by priority").first
    figure.locator("summary").click()
    link = figure.get_by_role("link", name="2", exact=True)
    expect(link).to_have_attribute("href", "/work/open/?priority=1")


def test_live_operations_refresh_every_minute_and_draw_again(org, floor, page_for):
    page = page_for(org.manager, "en")
    page.clock.install()
    open_page(page, "/dashboards/operations/")
    charts_drawn(page, 4)
    first = page.locator("#live .dash-figure").first
    expect(first.locator(".dash-n")).to_have_text("4")
    log(org, 1, "APP2", text="Storage array degraded")
    page.clock.fast_forward("01:01")  # htmx polls every 60 s
    expect(first.locator(".dash-n")).to_have_text("5", timeout=PLOTLY_MS)
    charts_drawn(page, 4)
    by_priority = page.locator("figure.chart").filter(has_text="Open incidents by priority")
    expect(by_priority.locator(".barlayer .point text").first).to_have_text("3")
