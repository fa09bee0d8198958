"""The incident manager's overview and the process owner's settings pages, as they open them.

Each page opens in the browser in both languages with its heading in that language, no
untranslated heading left over, and a full-page screenshot for review. The overview's numbers
are links that open the queue behind them.
"""

import pytest
from playwright.sync_api import expect

from opsdesk.core.testing.factories import incident_factory
from opsdesk.incidents.choices import Action
from opsdesk.incidents.services import incident_transition

LANGUAGES = ["en", "zh"]
# (path, heading in English, heading in Chinese), written out so a missing translation fails.
SETTINGS_PAGES = [
    ("/settings/matrix/", "Priority matrix", "优先级矩阵"),
    ("/settings/routing/", "Routing rules", "路由规则"),
    ("/settings/groups/", "Support groups", "支持组"),
    ("/settings/categories/", "Categories", "事件分类"),
    ("/profile/", "Your profile", "个人资料"),
]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_overview_numbers_open_their_queue(org, page_for, shoot, lang, tr):
    for n in range(3):
        incident = incident_factory(by=org.desk, requester=org.requester,
                                    short_description=f"Printer {n} offline")
        if n:
            incident_transition(incident=incident, action=Action.ASSIGN, by=org.desk,
                                assignment_group=org.groups["NET2"])
    page = page_for(org.manager, lang)
    page.goto("/manage/")
    expect(page.locator("h1")).to_have_text(tr(lang, "Incident overview"))
    shoot(page, f"40-manager-overview-{lang}")
    page.locator("a[href^='/work/unassigned/']").first.click()
    page.wait_for_url("**/work/unassigned/**")
    expect(page.locator("tbody tr[data-number]")).to_have_count(1)
    shoot(page, f"41-overview-unassigned-queue-{lang}")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_settings_pages_open_for_the_process_owner(org, page_for, shoot, lang):
    page = page_for(org.owner, lang)
    for number, (path, english, chinese) in enumerate(SETTINGS_PAGES):
        page.goto(path)
        expect(page.locator("h1")).to_contain_text(english if lang == "en" else chinese)
        shoot(page, f"{42 + number}-settings-{path.strip('/').replace('/', '-')}-{lang}")


def test_a_user_is_refused_the_overview_and_the_settings(org, page_for, tr):
    page = page_for(org.requester, "en")
    for path in ("/manage/", "/settings/matrix/"):
        response = page.goto(path)
        assert response.status == 403
        expect(page.locator("h1")).to_be_visible()
