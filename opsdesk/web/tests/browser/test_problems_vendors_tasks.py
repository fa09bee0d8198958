"""Issue 7 in the browser: problem management, vendors, tasks for other groups and handovers.

- Problems: the incident manager raises a problem from two incidents (from the first one's
  page, naming the second), the process owner records it as a known error (its workaround is
  published as a known-error article) and resolves it, and the open incidents hear of it in
  their history; a problem candidate found by the scan is dismissed with a reason (in Chinese).
- Vendors: the incident manager adds a vendor with an escalation contact and an underpinning
  contract; the engineer contacts the vendor from an incident (ticket number, contacted and
  responded times) and pends on it; the vendor performance report shows the result.
- Tasks and handover: a mandatory task for another group blocks resolving with a clear
  message until that group's engineer completes it in /work/tasks/; a shift handover links
  the open incidents and the next shift (reading Chinese) acknowledges it.
"""

import re
from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from opsdesk.core.testing.factories import ServiceFactory, UserFactory, incident_factory
from opsdesk.collab.models import Handover, IncidentTask
from opsdesk.incidents.choices import Status
from opsdesk.incidents.models import Incident
from opsdesk.incidents.services import incident_transition
from opsdesk.knowledge.models import Article
from opsdesk.problems.models import Problem, ProblemCandidate
from opsdesk.problems.services import candidates_scan
from opsdesk.vendors.models import Vendor, VendorContact, VendorContract, VendorEngagement

LOCAL_MINUTE = "%Y-%m-%dT%H:%M"


def exactly(text: str) -> re.Pattern:
    return re.compile(rf"^\s*{re.escape(text)}(\s*\*)?\s*$")


def minutes_ago(minutes: int) -> str:
    """A past moment as a datetime-local input takes it (the company's time zone)."""
    return timezone.localtime(timezone.now() - timedelta(minutes=minutes)).strftime(LOCAL_MINUTE)


def worked_by_net2(org, **data):
    """An incident logged by the desk, assigned to NET2 and accepted by its engineer."""
    incident = incident_factory(by=org.desk, requester=data.pop("requester", org.requester),
                                **data)
    incident = incident_transition(incident=incident, action="assign", by=org.desk,
                                   assignment_group=org.groups["NET2"])
    return incident_transition(incident=incident, action="accept", by=org.engineer)


def resolve_on_page(page, text: str) -> None:
    """Open the Resolve action of the incident page and send it."""
    details = page.locator("section.actions details").filter(
        has=page.locator("summary").filter(has_text=exactly("Resolve")))
    details.locator("summary").click()
    details.get_by_label(exactly("Resolution code")).select_option(index=1)
    details.get_by_label(exactly("Resolution")).fill(text)
    details.get_by_role("button", name="Resolve", exact=True).click()


# ---- problems ---------------------------------------------------------------------------------

def test_a_problem_from_two_incidents_to_known_error_and_resolution(org, page_for, shoot):
    vpn = ServiceFactory(code="VPN", name_zh="VPN 远程接入", name_en="VPN")
    first = worked_by_net2(org, service=vpn, short_description="VPN drops every hour")
    second = worked_by_net2(org, service=vpn, requester=org.colleague,
                            short_description="VPN disconnects during video calls")

    # The incident manager raises one problem from both incidents, from the first one's page.
    manager = page_for(org.manager, "en")
    manager.goto(f"/incidents/{first.number}/")
    manager.locator(".problems-panel").get_by_role("link", name="Raise a problem").click()
    expect(manager.locator("#from-h + ul")).to_contain_text(first.number)
    manager.get_by_label(exactly("Incidents")).fill(f"{first.number}, {second.number}")
    manager.get_by_label(exactly("Problem statement")).fill("VPN concentrator drops sessions")
    manager.get_by_role("button", name="Raise the problem").click()
    expect(manager.locator(".incident-head")).to_contain_text("VPN concentrator drops sessions")
    expect(manager.locator(".incident-head .badge")).to_have_text("New")
    linked = manager.locator("section[aria-labelledby=incidents-h] table tbody tr")
    expect(linked).to_have_count(2)
    expect(linked.filter(has_text=second.number)).to_contain_text("VPN disconnects")
    problem = Problem.objects.get()
    manager.goto(f"/incidents/{second.number}/")
    expect(manager.locator(".problems-panel")).to_contain_text(problem.number)

    # The process owner records the known error: its workaround is published as an article.
    owner = page_for(org.owner, "en")
    owner.goto(f"/problems/{problem.number}/")
    known = owner.locator("#action-known_error")
    known.locator("summary").click()
    known.get_by_label(exactly("Workaround")).fill(
        "Connect with the backup VPN profile until the firmware is updated.")
    known.get_by_role("button", name="Record as known error").click()
    expect(owner.locator(".incident-head .badge")).to_have_text("Known error")
    article_line = owner.locator("p.muted").filter(has_text="Known-error article")
    expect(article_line).to_contain_text("Published")
    article = Article.objects.get(problem_reference=problem.number)
    article_line.get_by_role("link").click()
    expect(owner.locator("main")).to_contain_text("backup VPN profile")
    expect(owner.locator("main")).to_contain_text(article.number)

    # Resolving the problem tells its open incidents, in their history.
    owner.goto(f"/problems/{problem.number}/")
    resolve = owner.locator("#action-resolve")
    resolve.locator("summary").click()
    resolve.get_by_label(exactly("Resolution")).fill("Firmware 9.2 installed on the concentrator.")
    resolve.get_by_role("button", name="Resolve", exact=True).click()
    expect(owner.locator(".incident-head .badge")).to_have_text("Resolved")
    history = owner.locator("ol.timeline")
    expect(history).to_contain_text(second.number)
    expect(history).to_contain_text("New → Known error")  # labels, not the stored keys
    expect(history).to_contain_text("Known error → Resolved")
    shoot(owner, "80-problem-resolved-en")
    requester = page_for(org.requester, "en")
    requester.goto(f"/incidents/{first.number}/")
    expect(requester.locator(".timeline")).to_contain_text(problem.number)
    expect(requester.locator(".timeline")).to_contain_text("Firmware 9.2 installed")
    engineer = page_for(org.engineer, "en")
    engineer.goto(f"/incidents/{second.number}/")
    expect(engineer.locator(".timeline")).to_contain_text(problem.number)


def test_the_incident_manager_dismisses_a_problem_candidate_in_chinese(org, page_for, tr, shoot):
    printers = ServiceFactory(code="PRINT", name_zh="打印服务", name_en="Printing")
    reports = [incident_factory(by=org.desk, requester=org.requester, service=printers,
                                short_description=f"Toner low warning on printer {n}")
               for n in range(4)]
    candidates_scan(force=True)
    candidate = ProblemCandidate.objects.filter(kind="service").get()
    manager = page_for(org.manager, "zh")
    manager.goto("/problems/candidates/")
    expect(manager.locator("h1")).to_have_text(tr("zh", "Problem candidates"))
    row = manager.locator(f"#candidate-{candidate.pk}")
    for report in reports:
        expect(row).to_contain_text(report.number)
    row.locator("summary").filter(has_text=tr("zh", "Dismiss")).click()
    row.get_by_label(tr("zh", "Why is this not a problem?")).fill("碳粉提示是正常耗材更换，不是问题")
    row.get_by_role("button", name=tr("zh", "Dismiss"), exact=True).click()
    expect(manager.locator(".messages")).to_contain_text(tr("zh", "The candidate is dismissed."))
    expect(manager.locator(f"#candidate-{candidate.pk}")).to_have_count(0)
    manager.locator("nav").get_by_role("link", name=tr("zh", "Dismissed")).click()
    expect(manager.locator(f"#candidate-{candidate.pk}")).to_contain_text("正常耗材更换")
    shoot(manager, "81-problem-candidate-dismissed-zh")
    candidate.refresh_from_db()
    assert candidate.state == "dismissed" and candidate.decided_by == org.manager
    assert not Problem.objects.exists()


# ---- vendors ----------------------------------------------------------------------------------

def test_a_vendor_is_set_up_contacted_from_an_incident_and_measured(org, page_for, shoot):
    network = ServiceFactory(code="NET", name_zh="网络", name_en="Network")
    incident = worked_by_net2(org, service=network, short_description="Core router reboots")

    # The incident manager adds the vendor, an escalation contact and a contract.
    manager = page_for(org.manager, "en")
    manager.goto("/vendors/")
    manager.get_by_role("link", name="New vendor").click()
    manager.get_by_label(exactly("Name")).fill("Ruijie Networks")
    manager.get_by_label(exactly("Support contact")).fill("Ruijie TAC")
    manager.get_by_label(exactly("Email")).fill("tac@ruijie.example.cn")
    manager.get_by_role("button", name="Add the vendor").click()
    expect(manager.locator("h1")).to_have_text("Ruijie Networks")
    expect(manager.locator(".messages")).to_contain_text("The vendor Ruijie Networks is added.")
    vendor = Vendor.objects.get(name="Ruijie Networks")

    add = manager.locator("#contact-new")
    add.locator("summary").click()
    add.get_by_label(exactly("Escalation contact")).check()
    add.get_by_role("button", name="Add the contact").click()  # no name, no phone or email
    add = manager.locator("#contact-new")
    expect(add.locator(".errors").first).to_be_visible()
    expect(add).to_contain_text("This field is required.")
    add.get_by_label(exactly("Name")).fill("Manager Zhou")
    add.get_by_label(exactly("Role")).fill("Service manager")
    add.get_by_label(exactly("Email")).fill("zhou@ruijie.example.cn")
    add.get_by_label(exactly("Escalation level")).fill("1")
    add.get_by_role("button", name="Add the contact").click()
    contacts = manager.locator("#vendor-contacts")
    expect(contacts).to_contain_text("The contact Manager Zhou is saved.")
    expect(contacts.locator("tbody tr").filter(has_text="Manager Zhou")).to_contain_text(
        "level 1")
    zhou = VendorContact.objects.get(vendor=vendor)
    assert (zhou.is_escalation, zhou.escalation_level) == (True, 1)

    manager.get_by_role("link", name="Add a contract").click()
    manager.get_by_label(exactly("Contract number")).fill("RJ-2026-01")
    manager.get_by_label(exactly("Title")).fill("Core network support")
    manager.get_by_label(exactly("Starts on")).fill(timezone.localdate().replace(day=1)
                                                    .isoformat())
    manager.get_by_label(exactly("Services supported")).select_option(str(network.pk))
    manager.get_by_label(exactly("Promised response")).fill("1 h")
    manager.get_by_label(exactly("Promised resolution")).fill("30 min")
    manager.get_by_role("button", name="Save the contract").click()
    expect(manager.locator(".field.has-error")).to_contain_text(
        "The promised resolution cannot be shorter than the promised response.")
    assert not VendorContract.objects.exists()
    manager.get_by_label(exactly("Promised resolution")).fill("8 h")
    manager.get_by_role("button", name="Save the contract").click()
    contract_row = manager.locator("tr").filter(has_text="RJ-2026-01")
    expect(contract_row).to_contain_text("Network")
    expect(contract_row).to_contain_text("1 h")
    expect(contract_row).to_contain_text("8 h")
    shoot(manager, "82-vendor-set-up-en")

    # The engineer contacts the vendor from the incident and pends on it.
    engineer = page_for(org.engineer, "en")
    engineer.goto(f"/incidents/{incident.number}/")
    panel = engineer.locator(".vendor-panel")
    panel.locator("#vendor-contact summary").click()
    panel.get_by_label(exactly("Vendor")).select_option(label="Ruijie Networks")
    panel.get_by_label(exactly("Contacted through")).select_option("email")
    panel.get_by_label(exactly("Vendor's ticket number")).fill("RJ-CASE-7781")
    panel.get_by_label(exactly("Contact")).select_option(label="Ruijie Networks: Manager Zhou "
                                                               "(Service manager)")
    panel.get_by_label(exactly("Contacted at")).fill(minutes_ago(40))
    panel.get_by_label(exactly("Pend the incident, awaiting the vendor")).check()
    panel.get_by_role("button", name="Record the contact").click()
    expect(engineer.locator(".messages")).to_contain_text("The vendor contact is recorded.")
    expect(engineer.locator(".incident-head .badge")).to_have_text("Pending")
    panel = engineer.locator(".vendor-panel")
    expect(panel).to_contain_text("RJ-CASE-7781")
    expect(panel).to_contain_text("Contract RJ-2026-01")
    respond = panel.locator("details").filter(
        has=engineer.locator("summary", has_text="Record the vendor's response"))
    respond.locator("summary").click()
    respond.get_by_label(exactly("When")).fill(minutes_ago(10))
    respond.get_by_role("button", name="Record").click()
    expect(engineer.locator(".messages")).to_contain_text("The vendor's response is recorded.")
    expect(engineer.locator(".vendor-panel .badge.met")).to_have_text("met")
    shoot(engineer, "83-vendor-contacted-en")
    engagement = VendorEngagement.objects.get()
    assert engagement.reference == "RJ-CASE-7781" and engagement.contact == zhou
    assert 29 * 60 <= engagement.response_seconds <= 31 * 60
    stored = Incident.objects.get(pk=incident.pk)
    assert stored.status == Status.PENDING and stored.pending_reason_id == "02"
    assert stored.vendor == vendor and stored.vendor_reference == "RJ-CASE-7781"

    # The vendor performance report counts the answer as met.
    manager.goto("/vendors/")
    manager.get_by_role("link", name="Vendor performance").click()
    row = manager.locator("tbody tr").filter(has_text="Ruijie Networks")
    expect(row).to_contain_text("100.0 %")
    expect(row.locator("td").nth(1)).to_have_text("1")  # one engagement
    expect(row.locator("td").nth(2)).to_have_text("1")  # still open: no fix yet
    shoot(manager, "84-vendor-performance-en")


# ---- tasks and handover -----------------------------------------------------------------------

def test_a_mandatory_task_blocks_resolving_until_the_other_group_completes_it(
        org, page_for, tr, shoot):
    incident = worked_by_net2(org, short_description="New office floor has no network")
    waiting = worked_by_net2(org, short_description="Badge reader offline at gate 2")

    engineer = page_for(org.engineer, "en")
    engineer.goto(f"/incidents/{incident.number}/")
    panel = engineer.locator(".tasks-panel")
    panel.locator("summary").filter(has_text="Add a task for a group").click()
    panel.get_by_label(exactly("Task")).fill("Patch the floor switch ports")
    panel.get_by_label(exactly("Group")).select_option(str(org.groups["APP2"].pk))
    panel.get_by_label(re.compile("^Mandatory")).check()
    panel.get_by_role("button", name="Add the task").click()
    expect(engineer.locator(".messages")).to_contain_text("The task is added.")
    expect(engineer.locator(".tasks-panel")).to_contain_text("Patch the floor switch ports")
    task = IncidentTask.objects.get()

    resolve_on_page(engineer, "Ports patched and tested.")
    expect(engineer.locator(".messages")).to_contain_text(
        "Mandatory tasks are still open: “Patch the floor switch ports”")
    expect(engineer.locator(".incident-head .badge")).to_have_text("In progress")

    # The other group's engineer finds the task in /work/tasks/ and completes it.
    other = page_for(org.other_engineer, "en")
    other.goto("/work/tasks/")
    row = other.locator(f"tr[data-task='{task.pk}']")
    expect(row).to_contain_text(incident.number)
    row.get_by_role("link", name="Patch the floor switch ports").click()
    other.get_by_label(exactly("Note (optional)")).fill("Ports 1-24 patched.")
    other.get_by_role("button", name="Done", exact=True).click()
    expect(other.locator(".messages")).to_contain_text("The task is done.")
    other.goto("/work/tasks/")
    expect(other.locator(f"tr[data-task='{task.pk}']")).to_have_count(0)

    engineer.goto(f"/incidents/{incident.number}/")
    resolve_on_page(engineer, "Ports patched and tested.")
    expect(engineer.locator(".incident-head .badge")).to_have_text("Resolved")
    assert Incident.objects.get(pk=incident.pk).status == Status.RESOLVED

    # The outgoing shift hands over the open incident; the next shift reads it in Chinese.
    engineer.goto("/handovers/")
    engineer.get_by_role("link", name="Write a handover").click()
    engineer.get_by_label(exactly("Shift")).fill("Day shift")
    engineer.get_by_label(exactly("Next shift")).fill("Night shift")
    engineer.get_by_label(exactly("Summary")).fill("Gate 2 badge reader: vendor visit at 20:00.")
    item = engineer.locator("ul.handover-items li").filter(has_text=waiting.number)
    expect(item.locator("input[type=checkbox]")).to_be_checked()
    item.get_by_label(f"Note on {waiting.number}").fill("Call security before restarting it.")
    engineer.get_by_role("button", name="Write the handover").click()
    expect(engineer.locator(".messages")).to_contain_text("The handover is written.")
    handover = Handover.objects.get()
    assert [i.incident_id for i in handover.items.all()] == [waiting.pk]

    night = UserFactory(username="night_engineer", is_engineer=True)
    org.groups["NET2"].members.add(night)
    next_shift = page_for(night, "zh")
    next_shift.goto("/handovers/")
    row = next_shift.locator(f"tr[data-handover='{handover.pk}']")
    expect(row).to_contain_text(tr("zh", "not yet"))
    row.get_by_role("link").first.click()
    items = next_shift.locator("ul.handover-items")
    expect(items).to_contain_text(waiting.number)
    expect(items).to_contain_text("Call security before restarting it.")
    next_shift.get_by_role("button", name=tr("zh", "Acknowledge: my shift takes over")).click()
    expect(next_shift.locator(".messages")).to_contain_text(
        tr("zh", "The handover is acknowledged."))
    shoot(next_shift, "85-handover-acknowledged-zh")
    handover.refresh_from_db()
    assert handover.acknowledged_by == night
    items.get_by_role("link", name=waiting.number).click()
    expect(next_shift.locator(".incident-head")).to_contain_text("Badge reader offline")
