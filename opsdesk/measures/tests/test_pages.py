"""The KPI pages as the process owner, an incident manager, a group lead and others use them.

The numbers are the hand count of test_kpis.py (the week of story.py, read on Wed 5 March).
"""

import html
import re

import pytest
from django.test import Client

from opsdesk.measures.models import KpiTarget, KpiTargetChange
from opsdesk.measures.rollups import rollup_tick

from .story import at, sh, story_build

pytestmark = pytest.mark.django_db
MARCH = "start=2025-03-01&end=2025-03-31"
NOON = sh(2025, 3, 5, 12, 0)


@pytest.fixture
def story(org):
    s = story_build(org)
    rollup_tick()
    return s


def client_for(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def row_of(page, code: str) -> str:
    match = re.search(rf'<tr data-kpi="{code}">(.*?)</tr>', page.text, re.S)
    assert match, code
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", match.group(1))).split())


def test_the_process_owner_reads_every_kpi_against_its_target(story, org):
    with at(NOON):
        page = client_for(org.owner).get(f"/measures/?{MARCH}")
    assert page.status_code == 200
    # The 31 days before March: G, responded on time (100 %).
    assert row_of(page, "response_on_time") == \
        "Response on time 33.3 % 95.0 % missed ↓ down, worse 2 / 6"
    assert row_of(page, "first_assignment_success").startswith(
        "First-assignment success 80.0 % 90.0 % missed")
    assert row_of(page, "response_median_wall").startswith("Median time to respond (wall "
                                                           "time) 0.88 h —")
    assert row_of(page, "backlog").startswith("Backlog 3")
    assert row_of(page, "satisfaction_mean").startswith("Satisfaction (mean score) 3.50 4.50 "
                                                        "missed")
    # The value links to the incidents counted, the counts to the numerator and denominator.
    assert 'href="/work/all/?created_after=2025-03-01T00%3A00%3A00%2B08%3A00' in page.text
    assert "response_sla=decided" in page.text and "response_sla=met" in page.text


def test_a_kpi_page_shows_formula_trend_breakdowns_and_the_records(story, org):
    with at(NOON):
        page = client_for(org.manager).get(f"/measures/resolution_on_time/?{MARCH}")
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert "Incidents whose resolution clock was met ÷ incidents whose resolution clock" in text
    assert "75.0 %" in text and "Resolution on time (SLA attainment), last 12 months" in text
    assert "2024-04" in text and "2025-03" in text  # twelve months up to the period's end
    for title in ("By group", "By category", "By service", "By priority", "By channel"):
        assert title in text
    assert "Save the target" not in text  # an incident manager reads, the owner sets
    records = client_for(org.manager).get(
        re.search(r'<dd class="kpi-value"><a href="([^"]+)"', page.text).group(1)
        .replace("&amp;", "&"))
    assert records.status_code == 200
    # The queue says which of the link's filters its form has no field for, and keeps them.
    assert "Resolution clock: decided" in records.text
    assert '<input type="hidden" name="resolution_sla" value="decided">' in records.text
    for letter in "ABCD":
        assert story.numbers[letter] in records.text
    for letter in "EFI":
        assert story.numbers[letter] not in records.text


def test_the_backlog_page_counts_open_incidents_by_age(story, org):
    with at(NOON):
        page = client_for(org.owner).get("/measures/backlog/")
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert "Open incidents by age" in text and "under 1 day" in text
    assert "The backlog is a count of now: it has no monthly trend." in text


def test_the_process_owner_sets_a_target_and_the_change_is_kept(story, org):
    owner = client_for(org.owner)
    with at(sh(2025, 3, 5, 12, 0)):
        done = owner.post("/measures/response_on_time/target/", {"target": "30",
                                                                 "query": MARCH})
    assert done.status_code == 302
    assert done["Location"] == f"/measures/response_on_time/?{MARCH}"
    assert float(KpiTarget.objects.get(code="response_on_time").target) == 30.0
    change = KpiTargetChange.objects.get()
    assert (float(change.old_target), float(change.new_target), change.changed_by) == \
        (95.0, 30.0, org.owner)
    with at(NOON):
        page = owner.get(f"/measures/?{MARCH}")
        assert row_of(page, "response_on_time").startswith("Response on time 33.3 % 30.0 % met")
        detail = owner.get("/measures/response_on_time/")
    assert "Last changed by" in detail.text and "2025-03-05 12:00" in detail.text
    bad = owner.post("/measures/response_on_time/target/", {"target": "130"}, follow=True)
    assert "Enter a number from 0 to 100." in html.unescape(bad.text)
    assert float(KpiTarget.objects.get(code="response_on_time").target) == 30.0


def test_only_the_process_owner_and_administrators_set_targets(story, org):
    for user in (org.manager, org.engineer, org.requester):
        response = client_for(user).post("/measures/volume/target/", {"target": "10"})
        assert response.status_code == 403
    assert client_for(org.admin).post("/measures/volume/target/",
                                      {"target": "10"}).status_code == 302


def test_who_may_see_the_kpis(story, org):
    for user in (org.owner, org.manager, org.admin):
        assert client_for(user).get("/measures/").status_code == 200
    for user in (org.requester, org.engineer, org.desk):
        assert client_for(user).get("/measures/").status_code == 403
        assert client_for(user).get("/measures/volume/").status_code == 403
    assert Client().get("/measures/").status_code == 302  # to sign in


def test_a_group_lead_sees_their_own_groups_kpis_only(story, org):
    org.groups["APP2"].manager = org.other_engineer
    org.groups["APP2"].save()
    lead = client_for(org.other_engineer)
    with at(NOON):
        page = lead.get(f"/measures/?{MARCH}")
    assert page.status_code == 200
    assert row_of(page, "volume").startswith("Volume 1")  # B, APP2's only incident
    assert "group=APP2" in page.text
    assert lead.get(f"/measures/?{MARCH}&group=NET2").status_code == 404


def test_bad_filters_are_explained_on_the_page(story, org):
    page = client_for(org.owner).get("/measures/?start=yesterday&priority=9")
    assert page.status_code == 422
    text = html.unescape(page.text)
    assert "Enter a date such as 2026-03-31." in text
    assert "Priority is a number from 1 to 4." in text
    assert client_for(org.owner).get("/measures/nonsense/").status_code == 404


def test_the_pages_cost_the_same_queries_however_many_incidents(story, org):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    owner = client_for(org.owner)
    owner.get(f"/measures/?{MARCH}")  # warm the lookups

    def counted(url):
        with at(NOON), CaptureQueriesContext(connection) as queries:
            assert owner.get(url).status_code == 200
        return len(queries)

    urls = [f"/measures/?{MARCH}", f"/measures/resolution_median_wall/?{MARCH}",
            f"/measures/volume/?{MARCH}&priority=3&channel=01"]
    before = [counted(url) for url in urls]
    for hour in range(9, 14):
        story.log(f"X{hour}", sh(2025, 3, 6, hour, 0), priority=2, source="01",
                  category=story.printer, service=story.erp, requester=org.requester)
    with at(NOON):
        rollup_tick()
    assert [counted(url) for url in urls] == before


def test_a_group_lead_follows_a_number_to_their_groups_incidents(story, org):
    org.groups["APP2"].manager = org.other_engineer
    org.groups["APP2"].save()
    lead = client_for(org.other_engineer)
    with at(NOON):
        page = lead.get(f"/measures/?{MARCH}")
    link = re.search(r'<tr data-kpi="volume">.*?class="num"><a href="([^"]+)"', page.text,
                     re.S).group(1).replace("&amp;", "&")
    assert link.startswith("/work/all/") and "group=APP2" in link
    records = lead.get(link)
    assert records.status_code == 200
    assert story.numbers["B"] in records.text  # APP2's incident, visible to its members
    assert story.numbers["D"] not in records.text


def test_the_kpi_table_downloads_with_the_page_filters(story, org):
    """The page's CSV link carries its period, and the file has the same figures."""
    with at(NOON):
        page = client_for(org.owner).get(f"/measures/?{MARCH}")
        link = re.search(r'href="(/reports/export/kpis\.csv\?[^"]+)"', page.text)
        assert link, "the KPI page links its CSV download"
        url = html.unescape(link.group(1))
        assert "start=2025-03-01" in url and "end=2025-03-31" in url
        response = client_for(org.owner).get(url)
    assert response.status_code == 200
    text = b"".join(response.streaming_content if response.streaming else [response.content])
    text = text.decode("utf-8-sig")
    line = next(row for row in text.splitlines() if row.startswith("response_on_time,"))
    assert line.startswith("response_on_time,Response on time,33.33,%,95,No,2,6,")


def test_a_kpi_page_links_its_trend_and_breakdown_downloads(story, org):
    with at(NOON):
        page = client_for(org.owner).get(f"/measures/response_on_time/?{MARCH}")
    assert "/reports/export/kpis/response_on_time/trend.xlsx?" in page.text
    assert "/reports/export/kpis/response_on_time/breakdown.csv?" in page.text


def test_every_counted_figure_opens_a_list_of_exactly_that_many_incidents(story, org):
    """Sitting in the process owner's chair: each number in the "counted" column, followed,
    lists as many incidents as it says (the list page counts what it holds)."""
    client = client_for(org.owner)
    with at(NOON):
        page = client.get(f"/measures/?{MARCH}")
        checked = 0
        for code, cell in re.findall(r'<tr data-kpi="(\w+)">.*?class="num">(.*?)</td>\s*</tr>',
                                     page.text, re.S):
            for href, text in re.findall(r'<a href="(/work/[^"]+)">([^<]+)</a>', cell):
                figure = re.fullmatch(r"\s*([\d,]+)(\s+incidents?)?\s*", text)  # not "33.3 %"
                if not figure or code == "first_assignment_success":
                    continue
                listed = client.get(html.unescape(href))
                assert listed.status_code == 200, (code, href)
                assert listed.context["matching"] == int(figure.group(1).replace(",", "")), \
                    (code, text, href)
                checked += 1
    assert checked >= 20


def test_the_assignment_success_rate_says_it_counts_assignments(story, org):
    """4 of 5 assignments stuck: the figures are assignments, and the links say which
    incidents they open (those handed back, those assigned), so no list contradicts them."""
    client = client_for(org.owner)
    with at(NOON):
        page = client.get(f"/measures/?{MARCH}")
        row = row_of(page, "first_assignment_success")
        assert row.endswith("4 / 5 assignments incidents handed back · incidents assigned"), row
        cell = re.search(r'<tr data-kpi="first_assignment_success">(.*?)</tr>', page.text,
                         re.S).group(1)
        back, assigned = re.findall(r'<a href="(/work/[^"]+)">incidents', cell)
        assert "handed_back=yes" in back and "assigned=yes" in assigned
        assert client.get(html.unescape(back)).context["matching"] == 1
        detail = client.get(f"/measures/first_assignment_success/?{MARCH}")
        assert "4 / 5 assignments" in html.unescape(detail.text)
