"""Issue 7 in the browser: a major incident from the first report to its resolution.

The desk proposes an ERP outage as a major incident from its incident page; the incident manager
promotes it on the major-incident page and links the other reports as children; a public update
reaches the children's requesters; a user who has not reported it finds the outage in the portal
and says "Affects me too"; the master is resolved, and every child is resolved with it. The
review that must follow before the master closes is test_post_incident_review.py.
"""

import re

from playwright.sync_api import expect

from opsdesk.core.testing.factories import ServiceFactory, UserFactory, incident_factory
from opsdesk.incidents.choices import Status
from opsdesk.incidents.models import Incident
from opsdesk.major.models import AffectedPerson, MajorIncident, MajorState


def exactly(text: str) -> re.Pattern:
    return re.compile(rf"^\s*{re.escape(text)}(\s*\*)?\s*$")


def test_a_major_incident_from_proposal_to_resolution(org, page_for, shoot):
    erp = ServiceFactory(code="ERP", name_zh="ERP 系统", name_en="ERP")
    master = incident_factory(by=org.desk, requester=org.requester, service=erp,
                              short_description="ERP cannot be reached")
    reporters = [UserFactory(username=f"clerk{n}", department=org.dept) for n in range(5)]
    children = [incident_factory(by=org.desk, requester=person, service=erp,
                                 short_description="ERP does not open")
                for person in reporters]

    # The desk proposes it from the incident page.
    desk = page_for(org.desk, "en")
    desk.goto(f"/incidents/{master.number}/")
    panel = desk.locator("#major-panel")
    panel.locator("summary").filter(has_text="Propose as a major incident").click()
    panel.get_by_label(re.compile("Why is this a major incident")).fill(
        "Nobody in Finance can post invoices")
    panel.get_by_role("button", name="Propose", exact=True).click()
    expect(desk.locator("#major-panel")).to_contain_text("Proposed: Nobody in Finance")
    assert MajorIncident.objects.get(incident=master).state == MajorState.CANDIDATE

    # The incident manager promotes it and links the other reports.
    manager = page_for(org.manager, "en")
    manager.goto(f"/major/{master.number}/")
    declare = manager.locator("#declare")
    declare.get_by_label(exactly("Update every (minutes)")).fill("30")
    declare.get_by_role("button", name="Declare").click()
    expect(manager.locator(".incident-head")).to_contain_text("Declared")
    expect(manager.locator("#major-due")).to_contain_text("every 30 min")
    manager.get_by_label(exactly("Incident numbers")).fill(
        " ".join(child.number for child in children))
    manager.get_by_role("button", name="Link", exact=True).click()
    expect(manager.locator("#major-children tbody tr")).to_have_count(len(children))

    # A public update reaches every child's requester.
    manager.get_by_label(exactly("Update")).fill("The database failover is under way.")
    manager.get_by_label(re.compile(r"^Public")).check()
    manager.get_by_role("button", name="Post update").click()
    expect(manager.locator(".major-updates")).to_contain_text("database failover")
    shoot(manager, "70-major-incident-declared-en")
    clerk = page_for(reporters[0], "en")
    clerk.goto(f"/incidents/{children[0].number}/")
    expect(clerk.locator(".timeline")).to_contain_text("The database failover is under way.")

    # Someone who has not reported it sees the outage and says it affects them too.
    bystander = page_for(org.colleague, "en")
    bystander.goto("/portal/")
    outage = bystander.locator(f"#outage-{master.number}")
    expect(outage).to_contain_text("The database failover is under way.")
    outage.get_by_role("button", name="Affects me too").click()
    expect(bystander.locator(f"#outage-{master.number}")).to_contain_text(
        "You are counted as affected")
    assert AffectedPerson.objects.filter(incident=master, user=org.colleague).exists()

    # Resolving the master resolves every child, each with a note.
    manager.goto(f"/incidents/{master.number}/")
    details = manager.locator("section.actions details").filter(
        has=manager.locator("summary").filter(has_text=exactly("Resolve")))
    details.locator("summary").click()
    details.get_by_label(exactly("Resolution code")).select_option(index=1)
    details.get_by_label(exactly("Resolution")).fill("Failed over to the standby database.")
    details.get_by_role("button", name="Resolve", exact=True).click()
    expect(manager.locator(".incident-head .badge")).to_have_text("Resolved")
    for child in Incident.objects.filter(pk__in=[c.pk for c in children]):
        assert child.status == Status.RESOLVED
        assert master.number in child.resolution
    clerk.reload()
    expect(clerk.locator(".incident-head .badge")).to_have_text("Resolved")
    shoot(clerk, "71-major-child-resolved-en")
