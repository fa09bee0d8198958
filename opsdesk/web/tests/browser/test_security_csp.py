"""The Content-Security-Policy breaks nothing: the main pages load in Chromium without one
`securitypolicyviolation` event, console error or script error, and their scripts (htmx,
plotly's charts, our own) still do their work under the policy.

A blocked script or style fails silently for a person (the page just looks or works wrong),
so this test listens for what the browser reports instead. Chromium reports a violation both
as an event on the document and as a console error.
"""

import pytest
from playwright.sync_api import expect

from opsdesk.core.testing.factories import incident_factory
from opsdesk.incidents.services import incident_transition
from opsdesk.measures.rollups import rollup_tick
from opsdesk.reference.models import Priority

# Runs before any page script (Playwright adds it through the DevTools protocol, which the
# page's policy does not govern) and keeps every violation for the test to read.
COLLECT = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__violations.push(
    `${event.violatedDirective} ${event.blockedURI} ${event.sourceFile}:${event.lineNumber}`);
});
"""
PLOTLY_MS = 60_000  # plotly.js is 4.8 MB, fetched anew by every fresh browser context


def watch(page) -> list[str]:
    """Collect the page's console errors and uncaught script errors into the returned list."""
    problems: list[str] = []
    page.add_init_script(COLLECT)
    page.on("console", lambda message: message.type == "error" and problems.append(
        f"console: {message.text}"))
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    return problems


def assert_clean(page, problems: list[str], where: str) -> None:
    violations = page.evaluate("window.__violations || []")
    assert violations == [], f"{where}: CSP violations {violations}"
    assert problems == [], f"{where}: {problems}"


def charts_drawn(page) -> None:
    figures = page.locator("figure.chart")
    expect(figures.first).to_be_visible(timeout=PLOTLY_MS)
    for index in range(figures.count()):
        expect(figures.nth(index).locator(".chart-plot svg.main-svg").first).to_be_visible(
            timeout=PLOTLY_MS)


@pytest.fixture
def incident(org):
    incident = incident_factory(by=org.desk, requester=org.requester,
                                short_description="VPN drops every hour",
                                priority=Priority.objects.get(pk=2),
                                priority_override_reason="Browser test")
    incident = incident_transition(incident=incident, action="assign", by=org.manager,
                                   assignment_group=org.groups["NET2"], assignee=org.engineer)
    rollup_tick()
    return incident


def test_the_sign_in_page_and_the_portal(org, incident, new_page, page_for):
    anonymous = new_page("en")
    problems = watch(anonymous)
    anonymous.goto("/login/")
    expect(anonymous.locator("#id_username")).to_be_visible()
    assert_clean(anonymous, problems, "/login/")

    page = page_for(org.requester, "en")
    problems = watch(page)
    page.goto("/portal/")
    expect(page.get_by_role("link", name=incident.number)).to_be_visible()
    assert_clean(page, problems, "/portal/")


def test_the_queue_the_incident_page_and_htmx(org, incident, page_for):
    page = page_for(org.engineer, "en")
    problems = watch(page)
    page.goto("/work/")
    expect(page.locator(f"tbody tr[data-number='{incident.number}']")).to_be_visible()
    assert_clean(page, problems, "/work/")
    page.goto(f"/incidents/{incident.number}/")
    expect(page.locator("h1")).to_contain_text(incident.number)
    page.locator("textarea[name=body]").fill("Looking into the VPN concentrator now.")
    page.locator("button[name=visibility][value=internal]").click()
    expect(page.get_by_text("Looking into the VPN concentrator now.").first).to_be_visible()
    assert_clean(page, problems, f"/incidents/{incident.number}/")


def test_htmx_suggestions_work_under_the_policy(org, incident, page_for):
    page = page_for(org.requester, "en")
    problems = watch(page)
    page.goto("/portal/report/")
    with page.expect_response(lambda response: "suggest" in response.url) as answered:
        page.locator("#id_short_description").fill("VPN drops")
    assert answered.value.ok
    expect(page.locator("#report-suggestions")).to_contain_text(incident.number)
    assert_clean(page, problems, "/portal/report/")


@pytest.mark.parametrize("path", ["/dashboards/operations/", "/dashboards/process/",
                                  "/measures/"])
def test_charts_draw_under_the_policy(org, incident, page_for, path):
    page = page_for(org.owner, "en")
    problems = watch(page)
    page.goto(path, wait_until="commit")
    if path != "/measures/":
        charts_drawn(page)
    expect(page.locator("h1")).to_be_visible()
    page.wait_for_load_state("load", timeout=PLOTLY_MS)
    assert_clean(page, problems, path)


def test_the_assign_form_offers_the_groups_members_without_eval(org, page_for):
    """The group select asks htmx for its members with its own value (no `js:` hx-vals,
    which would need eval and is refused by the policy and by htmx's allowEval: false)."""
    incident = incident_factory(by=org.desk, requester=org.requester,
                                short_description="Switch port flapping")
    page = page_for(org.desk, "en")
    problems = watch(page)
    page.goto(f"/incidents/{incident.number}/#action-assign")
    group = page.locator("#id_assign-assignment_group")
    with page.expect_response(lambda response: "/work/lookup/members/" in response.url):
        group.select_option(str(org.groups["NET2"].pk))
    expect(page.locator("#id_assign-assignee option")).to_have_count(2)  # "anyone" + engineer
    expect(page.locator("#id_assign-assignee")).to_contain_text(org.engineer.label)
    assert_clean(page, problems, f"/incidents/{incident.number}/")
