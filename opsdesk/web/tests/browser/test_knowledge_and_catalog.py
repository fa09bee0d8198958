"""Issue 6 in the browser: resolving at first contact with the knowledge base, and ordering.

1. A user searches the portal's help in Chinese, opens the article that answers them and says it
   solved their problem: it is counted as a deflection and no incident is created.
2. A user starts to report a problem in English, sees the article suggested under the form while
   typing, and is done without reporting it.
3. The desk logs a phone call, sees a suggested article while typing, uses it to resolve and
   links it: the incident is resolved at first contact and the article counts it.
4. A user orders a service request that needs approval; their manager finds it under Approvals
   and approves it; the desk, its fulfilment group, follows the instructions and fulfils it.
"""

import re

from playwright.sync_api import expect

from opsdesk.catalog.models import FieldKind, RequestField, RequestType
from opsdesk.core.testing.factories import UserFactory
from opsdesk.incidents.choices import Status
from opsdesk.incidents.models import Incident
from opsdesk.knowledge.models import Article, Deflection, IncidentArticle
from opsdesk.knowledge.tests.conftest import article_make

INCIDENT = re.compile(r"/incidents/((?:INC|SR)\d{12})/$")


def _articles(org):
    return {
        "printer": article_make(
            org, status="published", visibility="public", title="打印机卡纸怎么处理",
            body="1. 打开打印机前盖。\n2. 慢慢取出卡住的纸张。\n3. 关上前盖，重新打印。"),
        "vpn": article_make(
            org, status="published", visibility="public", title="VPN cannot connect from home",
            body="Update the VPN client to the latest version, then sign in again with your "
                 "domain password."),
        "outlook": article_make(
            org, status="published", visibility="public", title="Outlook asks for the password "
            "again and again", body="Remove the saved credentials in Credential Manager."),
    }


def test_a_user_finds_the_answer_in_the_help_and_reports_nothing(org, page_for, shoot):
    articles = _articles(org)
    page = page_for(org.requester, "zh")
    page.get_by_role("navigation").get_by_role("link", name="帮助").click()
    search = page.get_by_role("searchbox", name="描述您的问题")
    search.fill("打印机又卡纸了怎么办")
    search.press("Enter")
    result = page.get_by_role("link", name=articles["printer"].title)
    expect(result).to_be_visible()
    expect(page.get_by_role("link", name=articles["vpn"].title)).to_have_count(0)
    shoot(page, "60-help-search-zh")
    result.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(articles["printer"].title)
    expect(page.locator("main")).to_contain_text("慢慢取出卡住的纸张")
    page.get_by_role("button", name="是的，问题已解决").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("很高兴一切恢复正常！")
    shoot(page, "61-help-solved-zh")
    assert Incident.objects.count() == 0
    deflection = Deflection.objects.get()
    assert (deflection.user, deflection.article, deflection.query) == (
        org.requester, articles["printer"], "打印机又卡纸了怎么办")
    assert Article.objects.get(pk=articles["printer"].pk).deflection_count == 1


def test_the_report_form_suggests_an_article_that_solves_it(org, page_for, shoot):
    articles = _articles(org)
    page = page_for(org.requester, "en")
    page.get_by_role("link", name="Report an incident").first.click()
    page.get_by_label(re.compile(r"^What is wrong")).press_sequentially(
        "cannot connect to vpn from home", delay=20)
    suggestions = page.locator("#report-suggestions")
    expect(suggestions).to_contain_text(articles["vpn"].title)
    expect(suggestions).not_to_contain_text(articles["outlook"].title)
    shoot(page, "62-report-suggestions-en")
    suggestions.get_by_role("button", name="This solved my problem").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Glad it works again!")
    assert Incident.objects.count() == 0
    assert Deflection.objects.get().query == "cannot connect to vpn from home"


def test_the_desk_resolves_at_first_contact_with_a_suggested_article(org, page_for, shoot):
    articles = _articles(org)
    page = page_for(org.desk, "en")
    page.goto("/work/log/")
    query = page.get_by_label(re.compile(r"^Requester"))
    query.press_sequentially("requester", delay=20)
    page.locator("#requester-results .person-choice").first.click()
    expect(page.locator(".person-card")).to_be_visible()
    page.get_by_label("Short description *").press_sequentially(
        "Outlook keeps asking for the password", delay=20)
    suggestions = page.locator("#suggestions")
    suggestion = suggestions.locator(".suggestion").filter(has_text=articles["outlook"].title)
    expect(suggestion).to_be_visible()
    suggestion.get_by_role("button", name="Use to resolve").click()
    expect(suggestion.get_by_role("checkbox")).to_be_checked()
    expect(page.get_by_label(re.compile(r"^Resolution$|^Resolution \*"))).to_have_value(
        re.compile(articles["outlook"].number))
    page.get_by_label(re.compile(r"^Resolution code")).select_option(index=1)
    shoot(page, "63-desk-log-with-article-en")
    page.get_by_role("button", name="Log the incident", exact=True).click()
    page.wait_for_url(INCIDENT)
    number = INCIDENT.search(page.url).group(1)
    expect(page.locator(".messages")).to_contain_text(f"{number} is logged and resolved at "
                                                      "first contact.")
    incident = Incident.objects.get(number=number)
    assert incident.status == Status.RESOLVED and incident.first_contact_resolution
    link = IncidentArticle.objects.get(incident=incident)
    assert (link.article, link.resolved_by) == (articles["outlook"], True)
    assert Article.objects.get(pk=articles["outlook"].pk).resolved_incident_count == 1
    # The incident page lists the article that solved it.
    expect(page.locator("aside")).to_contain_text(articles["outlook"].number)


def test_a_request_is_ordered_approved_by_the_manager_and_fulfilled_by_the_desk(
        org, page_for, shoot):
    boss = UserFactory(username="boss", display_name="Boss Li")
    org.requester.manager = boss
    org.requester.save(update_fields=["manager"])
    software = RequestType.objects.create(
        code="software", name_zh="软件安装", name_en="New software", needs_approval=True,
        fulfilment_group=org.groups["DESK"],
        instructions_en="1. Check the licence pool\n2. Install it remotely",
        instructions_zh="1. 检查许可证\n2. 远程安装")
    RequestField.objects.create(
        request_type=software, key="software", kind=FieldKind.CHOICE, label_zh="软件",
        label_en="Software", required=True, sort_order=1, in_summary=True,
        options="visio | Visio 绘图 | Visio\nproject | Project 项目 | Project")
    RequestField.objects.create(request_type=software, key="why", kind=FieldKind.LONG_TEXT,
                                label_zh="理由", label_en="Justification", required=True,
                                sort_order=2)

    # The user orders it from the catalogue.
    user = page_for(org.requester, "en")
    user.get_by_role("navigation").get_by_role("link", name="Request a service").click()
    user.get_by_role("link", name=re.compile("New software")).click()
    user.get_by_role("button", name="Send the request").click()  # nothing filled in yet
    expect(user.locator(".errors").first).to_be_visible()
    user.get_by_label(re.compile(r"^Software")).select_option("visio")
    user.get_by_label(re.compile(r"^Justification")).fill("Network diagrams for the audit")
    user.get_by_role("button", name="Send the request").click()
    user.wait_for_url(INCIDENT)
    number = INCIDENT.search(user.url).group(1)
    assert number.startswith("SR")
    expect(user.locator("main")).to_contain_text("Network diagrams for the audit")
    shoot(user, "64-request-ordered-en")
    incident = Incident.objects.get(number=number)
    assert incident.assignment_group is None  # nobody works on it before the approval

    # The manager approves it.
    manager = page_for(boss, "en")
    approvals = manager.get_by_role("navigation").get_by_role("link", name=re.compile("Approvals"))
    expect(approvals).to_contain_text("1")
    approvals.click()
    card = manager.locator("section.approval").filter(has_text=number)
    expect(card).to_contain_text("Network diagrams for the audit")
    card.get_by_label(re.compile("Comment")).fill("Approved for the audit")
    card.get_by_role("button", name="Approve").click()
    expect(manager.locator("section.approval").filter(has_text=number)).to_have_count(0)
    incident.refresh_from_db()
    assert (incident.status, incident.assignment_group) == (Status.ASSIGNED, org.groups["DESK"])

    # The desk sees the instructions and fulfils it.
    desk = page_for(org.desk, "en")
    desk.goto(f"/incidents/{number}/")
    expect(desk.locator("main")).to_contain_text("Install it remotely")
    expect(desk.locator("main")).to_contain_text("Approved for the audit")
    details = desk.locator("section.actions details").filter(
        has=desk.locator("summary").filter(has_text=re.compile(r"^\s*Resolve\s*$")))
    details.locator("summary").click()
    details.get_by_label(re.compile(r"^Resolution code")).select_option(index=1)
    details.get_by_label(re.compile(r"^Resolution\s*\*?$")).fill("Visio installed remotely")
    details.get_by_role("button", name="Resolve", exact=True).click()
    expect(desk.locator(".incident-head .badge")).to_have_text("Resolved")
    shoot(desk, "65-request-fulfilled-en")
    incident.refresh_from_db()
    assert incident.status == Status.RESOLVED
