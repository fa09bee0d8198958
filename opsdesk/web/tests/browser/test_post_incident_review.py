"""Issue 7 in the browser: from a declared major incident to an approved review and a closed master.

The incident manager declares ERP's outage a major incident (through the major services) and
links two reports to it; it is resolved. Closing the master is refused until its post-incident
review is approved: the manager starts the review (prefilled from what was recorded), completes
it, adds an action, and submits it; the process owner approves it from the reviews list; then
the manager closes the master.
"""

import re

from playwright.sync_api import expect

from opsdesk.core.testing.factories import ServiceFactory, incident_factory
from opsdesk.incidents.choices import Status
from opsdesk.incidents.models import Incident
from opsdesk.incidents.services import incident_transition
from opsdesk.reference.models import ResolutionCode
from opsdesk.reviews.models import PostIncidentReview, ReviewStatus


def exactly(text: str) -> re.Pattern:
    return re.compile(rf"^\s*{re.escape(text)}(\s*\*)?\s*$")


def _declared_and_resolved(org):
    from opsdesk.major.services import major_children_link, major_declare

    erp = ServiceFactory(code="ERP", name_zh="ERP 系统", name_en="ERP")
    master = incident_factory(by=org.desk, requester=org.requester, service=erp,
                              short_description="ERP cannot be reached")
    major = major_declare(incident=master, by=org.manager, reason="ERP down for everyone")
    children = [incident_factory(by=org.desk, requester=person, service=erp,
                                 short_description="ERP does not open")
                for person in (org.colleague, org.outsider)]
    major_children_link(major=major, by=org.manager, children=children)
    incident_transition(incident=master, action="resolve", by=org.manager,
                        resolution="Rolled the release back",
                        resolution_code=ResolutionCode.objects.order_by("pk").first())
    return master


def _close(page, tr):
    details = page.locator("section.actions details").filter(
        has=page.locator("summary").filter(has_text=exactly(tr("en", "Close"))))
    details.locator("summary").click()
    details.get_by_label(exactly("Closure code")).select_option(value="01")
    details.get_by_role("button", name="Close", exact=True).click()


def test_a_major_incident_closes_after_its_review_is_approved(org, page_for, shoot, tr):
    master = _declared_and_resolved(org)
    manager = page_for(org.manager, "en")
    manager.goto(f"/incidents/{master.number}/")
    _close(manager, tr)
    expect(manager.locator(".message.error")).to_contain_text(f"/reviews/{master.number}/")
    expect(manager.locator(".incident-head .badge")).to_have_text("Resolved")

    manager.goto(f"/reviews/{master.number}/")
    manager.get_by_role("button", name="Start the review").click()
    expect(manager.locator("#review-status")).to_have_text("Draft")
    timeline = manager.locator("#timeline")
    expect(timeline.locator("textarea").first).to_have_value("Desk logged the incident.")
    expect(timeline).to_contain_text("Declared a major incident")
    expect(manager.get_by_label(exactly("Users affected"))).to_have_value("3")
    expect(manager.get_by_label(exactly("Departments affected"))).to_have_value("2")

    manager.get_by_role("button", name="Submit for approval").click()
    expect(manager.locator(".message.error")).to_contain_text("root cause")
    manager.get_by_label(exactly("Root cause")).fill(
        "The new release did not return database connections: the pool ran dry.")
    manager.get_by_label(exactly("Lessons learned")).fill("Load-test connection leaks.")
    manager.get_by_role("button", name="Save the review").click()
    expect(manager.locator(".message.success")).to_have_text("The review is saved.")

    manager.locator("#actions summary").click()
    form = manager.locator("#actions form.form")
    form.get_by_label(exactly("Action")).fill("Alert on the connection pool at 80 %")
    form.get_by_label(exactly("Owner (user name)")).fill("expert")
    form.get_by_label(exactly("Due date")).fill("2030-06-30")
    form.get_by_role("button", name="Add the action").click()
    expect(manager.locator("#actions table")).to_contain_text("Alert on the connection pool")
    shoot(manager, "75-review-draft-en")
    manager.get_by_role("button", name="Submit for approval").click()
    expect(manager.locator("#review-status")).to_have_text("Submitted for approval")
    expect(manager.get_by_role("button", name="Approve the review")).to_have_count(0)

    owner = page_for(org.owner, "en")
    owner.goto("/reviews/?status=submitted")
    owner.get_by_role("link", name=master.number).click()
    owner.get_by_role("button", name="Approve the review").click()
    expect(owner.locator("#review-status")).to_have_text("Approved")
    with owner.expect_download() as download:
        owner.get_by_role("link", name="Download PDF").click()
    assert download.value.suggested_filename == f"PIR-{master.number}.pdf"
    owner.get_by_role("link", name="Printable version").click()
    expect(owner.locator("h1")).to_contain_text(master.number)
    expect(owner.locator("body")).to_contain_text("the pool ran dry")
    shoot(owner, "76-review-print-en")

    manager.goto(f"/incidents/{master.number}/")
    _close(manager, tr)
    expect(manager.locator(".incident-head .badge")).to_have_text("Closed")
    assert Incident.objects.get(pk=master.pk).status == Status.CLOSED
    assert PostIncidentReview.objects.get(incident=master).status == ReviewStatus.APPROVED
