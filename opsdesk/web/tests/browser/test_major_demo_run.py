"""Issue 7, "not a toy": the demo's ERP outage run to its end in the browser, with 20 child reports.

The demo company is loaded as `opsdesk up --demo` loads it (fewest incidents the demo allows
beside its stories). The incident manager (陈静, who reads the site in Chinese) opens the major
incident page of the ERP outage, posts a public update (every child gets it as a reply),
resolves the master (all 20 children are resolved with a note naming it), completes the
post-incident review and submits it, the process owner approves it, and the manager closes the
master: every child ends closed with the master's closure code, and each child's history says
the system did it because of the master. The page's speed is held by its query budget with the
same data (opsdesk/major/tests/test_page_budget.py), not by a stopwatch.
"""

import re

from playwright.sync_api import expect

from opsdesk.accounts.models import User
from opsdesk.demo.services import demo_company_create
from opsdesk.incidents.choices import Action, EventKind, Status, Visibility
from opsdesk.incidents.models import Comment, Incident, IncidentEvent
from opsdesk.major.models import MajorIncident, MajorState
from opsdesk.reviews.models import PostIncidentReview, ReviewStatus

from .conftest import PASSWORD

CHILDREN = 20
UPDATE = "备库切换完成，ERP 登录已恢复，请重新登录验证。/ Failover done: please sign in again."
RESOLUTION = "已切换到备库并扩容连接池。/ Failed over to the standby and enlarged the pool."


def exactly(text: str) -> re.Pattern:
    return re.compile(rf"^\s*{re.escape(text)}(\s*\*)?\s*$")


def open_major_page(page, number: str):
    """The major-incident page (its speed is the query budget's business, not a stopwatch's)."""
    response = page.goto(f"/major/{number}/")
    assert response.status == 200
    expect(page.locator("#major-children tbody tr")).to_have_count(CHILDREN)
    return response


def child_badges(page, label: str):
    return page.locator("#major-children tbody tr .badge").filter(has_text=exactly(label))


def take_action(page, tr, action: str, status: str, *, select: dict, fill: dict | None = None):
    details = page.locator(f"#action-{action}")
    details.locator("summary").click()
    for label, value in select.items():
        details.get_by_label(exactly(tr("zh", label))).select_option(value=value)
    for label, value in (fill or {}).items():
        details.get_by_label(exactly(tr("zh", label))).fill(value)
    details.locator("button[type=submit]").click()
    expect(page.locator(".incident-head .badge")).to_have_text(status)


def test_the_demo_major_incident_runs_to_its_end_with_twenty_children(page_for, status_label,
                                                                      tr, shoot):
    demo_company_create(incidents=30, seed=7, password=PASSWORD)
    major = MajorIncident.objects.select_related("incident").get()
    master, number = major.incident, major.incident.number
    children = list(Incident.objects.filter(parent=master).order_by("pk"))
    assert len(children) == CHILDREN and major.state == MajorState.DECLARED
    manager = page_for(User.objects.get(username="manager"), "zh")

    # The live page of the outage: 20 open children.
    open_major_page(manager, number)
    expect(child_badges(manager, status_label("zh", "resolved"))).to_have_count(0)

    # A public update reaches every child as a reply its requester reads.
    manager.get_by_label(exactly(tr("zh", "Update"))).fill(UPDATE)
    manager.get_by_label(exactly(tr("zh", "Public (copied to every child as a reply)"))).check()
    manager.get_by_role("button", name=tr("zh", "Post update")).click()
    expect(manager.locator(".major-updates li").first).to_contain_text(UPDATE)
    replied = set(Comment.objects.filter(body=UPDATE, visibility=Visibility.PUBLIC)
                  .values_list("incident_id", flat=True))
    assert replied == {master.pk, *(c.pk for c in children)}
    manager.goto(f"/incidents/{children[-1].number}/")
    expect(manager.locator(".timeline")).to_contain_text(UPDATE)

    # Resolving the master resolves all 20 children, each with a note naming the master.
    manager.goto(f"/incidents/{number}/")
    take_action(manager, tr, "resolve", status_label("zh", "resolved"),
                select={"Resolution code": "01"}, fill={"Resolution": RESOLUTION})
    for child in Incident.objects.filter(parent=master):
        assert child.status == Status.RESOLVED and child.resolution_code_id == "01"
        assert number in child.resolution and RESOLUTION in child.resolution
    open_major_page(manager, number)
    expect(child_badges(manager, status_label("zh", "resolved"))).to_have_count(CHILDREN)
    shoot(manager, "78-major-demo-resolved-zh")

    # The review: the manager completes the demo's draft and submits it; the owner approves.
    manager.goto(f"/reviews/{number}/")
    manager.get_by_role("button", name=tr("zh", "Add what was recorded since")).click()
    expect(manager.locator(".message.success")).to_be_visible()
    lines = manager.locator("#timeline textarea").evaluate_all("els => els.map(e => e.value)")
    assert any(f"→ {status_label('zh', 'resolved')}" in line for line in lines), lines
    manager.get_by_label(exactly(tr("zh", "Lessons learned"))).fill(
        "1. 备份窗口与结账批处理错开。\n2. 连接池使用率超过 80% 时告警。")
    manager.get_by_role("button", name=tr("zh", "Save the review")).click()
    expect(manager.locator(".message.success")).to_have_text(tr("zh", "The review is saved."))
    manager.get_by_role("button", name=tr("zh", "Submit for approval")).click()
    expect(manager.locator("#review-status")).to_have_text(tr("zh", "Submitted for approval"))
    owner = page_for(User.objects.get(username="owner"), "zh")
    owner.goto(f"/reviews/{number}/")
    owner.get_by_role("button", name=tr("zh", "Approve the review")).click()
    expect(owner.locator("#review-status")).to_have_text(tr("zh", "Approved"))
    assert PostIncidentReview.objects.get(incident=master).status == ReviewStatus.APPROVED

    # Closing the master closes every child with its closure code.
    manager.goto(f"/incidents/{number}/")
    take_action(manager, tr, "close", status_label("zh", "closed"),
                select={"Closure code": "01"})
    open_major_page(manager, number)
    expect(child_badges(manager, status_label("zh", "closed"))).to_have_count(CHILDREN)
    expect(manager.locator(".incident-head")).to_contain_text(tr("zh", "Closed"))
    shoot(manager, "79-major-demo-closed-zh")

    # Every child ended right, and its history says why, with the master's number.
    assert MajorIncident.objects.get(pk=major.pk).state == MajorState.CLOSED
    for child in Incident.objects.filter(parent=master):
        assert (child.status, child.closure_code_id) == (Status.CLOSED, "01"), child.number
        steps = list(IncidentEvent.objects.filter(incident=child, kind=EventKind.TRANSITION,
                                                  action__in=[Action.RESOLVE, Action.CLOSE])
                     .order_by("id"))
        assert [s.action for s in steps] == [Action.RESOLVE, Action.CLOSE], child.number
        assert all(s.actor_id is None and number in s.new_value for s in steps), child.number
    manager.goto(f"/incidents/{children[0].number}/")
    expect(manager.locator(".incident-head .badge")).to_have_text(status_label("zh", "closed"))
    expect(manager.locator(".timeline")).to_contain_text(number)
