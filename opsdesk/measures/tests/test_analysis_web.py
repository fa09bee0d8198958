"""The process analysis as the process owner reads it: the page, the incidents behind a number,
one incident's timeline, the workspace links and the API, on the hand-counted story of
test_analysis.py (all its incidents are finished or resolved, so their times to resolution do
not depend on today)."""

import re
from urllib.parse import parse_qs, urlparse

import pytest
from django.utils import translation

from opsdesk.api.tests.conftest import ApiClient

from .test_analysis import MIN, PERIOD, story  # noqa: F401  (story is a fixture)

P2 = {**PERIOD, "priority": "2"}


@pytest.fixture(autouse=True)
def _fresh_cache():
    """A live analysis is cached for five minutes; each test's story is a new one."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def owner_client(client, org):
    client.force_login(org.owner)
    return client


def english(client, path, data=None):
    with translation.override("en"):
        return client.get(path, data or {}, HTTP_ACCEPT_LANGUAGE="en")


def links(html: str) -> list[str]:
    return [href.replace("&amp;", "&") for href in re.findall(r'href="([^"]+)"', html)]


def test_the_page_answers_where_p2s_lose_time(owner_client, story, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        response = english(owner_client, "/analysis/", P2)
    assert response.status_code == 200
    html = response.content.decode()
    sentence = re.search(r"<li>P2 incidents spent <a href=\"([^\"]+)\">25.5 %</a> of their time "
                         r"to resolution being worked on by NET2\.", html)
    assert sentence, "the biggest contributor comes first, its number linked"
    records = english(owner_client, sentence.group(1).replace("&amp;", "&"))
    numbers = re.findall(r'data-number="([^"]+)"', records.content.decode())
    assert numbers == [story.a.number, story.f.number, story.b.number]  # 120, 120, 60 min
    assert "waiting in NET2&#x27;s queue before anyone accepted them" in html
    assert 'id="analysis-status-flow"' in html and 'id="analysis-group-flow"' in html
    assert "Logged → Assigned → In progress → Resolved" in html  # the slowest path
    export = next(link for link in links(html) if link.startswith("/reports/export/analysis.csv"))
    assert parse_qs(urlparse(export).query)["priority"] == ["2"]
    download = english(owner_client, export)
    body = b"".join(download.streaming_content).decode("utf-8-sig")
    assert download.status_code == 200 and "NET2" in body


def test_the_count_opens_the_same_incidents_in_the_workspace(owner_client, story, org):
    page = english(owner_client, "/analysis/", P2).content.decode()
    count = re.search(r'<a class="figure card" href="([^"]+)" id="analysis-count">', page)
    url = count.group(1).replace("&amp;", "&")
    assert urlparse(url).path == "/work/all/"
    listed = re.findall(r'data-number="([^"]+)"', english(owner_client, url).content.decode())
    assert sorted(listed) == sorted(i.number for i in (story.a, story.b, story.c, story.e,
                                                       story.f))
    app2 = next(link for link in links(page) if "handled_by=APP2" in link)
    assert parse_qs(urlparse(app2).query)["priority"] == ["2"]
    listed = re.findall(r'data-number="([^"]+)"', english(owner_client, app2).content.decode())
    assert sorted(listed) == sorted([story.b.number, story.c.number])


def test_every_row_links_to_its_incidents(owner_client, story):
    page = english(owner_client, "/analysis/", P2).content.decode()
    wanted = {("holder", "vendor"): [story.c.number], ("pingpong", "APP2|NET2"): [story.b.number],
              ("status_path", "10>20>30>40"): [story.b.number, story.f.number],
              ("group", "APP2"): [story.c.number, story.b.number],
              ("handoffs", "3"): [story.b.number, story.c.number]}
    for link in links(page):
        query = parse_qs(urlparse(link).query)
        figure, key = query.get("figure", [""])[0], query.get("key", [""])[0]
        if (figure, key) in wanted:
            html = english(owner_client, link).content.decode()
            assert re.findall(r'data-number="([^"]+)"', html) == wanted.pop((figure, key))
    assert wanted == {}


def test_one_incident_timeline_page(owner_client, story):
    response = english(owner_client, f"/analysis/incidents/{story.c.number}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Waiting for a vendor" in html and "4 h" in html
    assert "service desk → NET2 → service desk → APP2" in html


def test_bad_filters_are_shown_next_to_their_field(owner_client):
    response = english(owner_client, "/analysis/", {"start": "2026-03-10", "end": "2026-03-01"})
    assert response.status_code == 422
    assert "The period starts after it ends." in response.content.decode()
    response = english(owner_client, "/analysis/records/", {**P2, "figure": "nonsense"})
    assert response.status_code == 422


@pytest.mark.parametrize("person", ["requester", "desk", "engineer"])
def test_the_pages_do_not_exist_for_others(client, org, story, person):
    client.force_login(getattr(org, person))
    for path in ("/analysis/", "/analysis/records/?figure=open",
                 f"/analysis/incidents/{story.a.number}/"):
        assert client.get(path).status_code == 404


def test_managers_and_administrators_read_it(client, org, story):
    for person in (org.manager, org.admin):
        client.force_login(person)
        assert client.get("/analysis/", P2).status_code == 200


def test_the_api_gives_the_same_figures(org, story):
    api = ApiClient(org.owner)
    with translation.override("en"):
        summary = api.client.get("/api/v1/analysis/summary", P2,
                                 HTTP_ACCEPT_LANGUAGE="en").json()
        assert (summary["incidents"], summary["time_to_resolution"]["total"]) == (5, 1175 * MIN)
        assert summary["findings"][0]["text"].startswith(
            "P2 incidents spent 25.5 % of their time to resolution being worked on by NET2.")
        time = api.get("/analysis/time", **P2).json()
        holders = {row["key"]: (row["business"]["total"] // MIN, row["share"])
                   for row in time["holders"]}
        assert holders["queue:NET2"] == (210, 17.9) and holders["vendor"] == (240, 20.4)
        groups = {row["key"]: row for row in time["groups"]}
        assert groups["NET2"]["parts"] == {"queue": 210 * MIN, "work": 300 * MIN,
                                           "pending": 120 * MIN}
        handoffs = api.get("/analysis/handoffs", **P2).json()
        assert (handoffs["total"], handoffs["mean"], handoffs["pingpong_incidents"]) == (8, 1.6, 1)
        assert handoffs["pingpong"][0]["groups"] == ["-", "NET2", "APP2", "NET2"]
        paths = api.get("/analysis/paths", **P2).json()
        assert paths["status"]["slowest"][0]["key"] == "10>20>30>40"
        assert paths["status"]["common"][0]["time_to_resolution"]["median"] == 202.5 * MIN
        records = api.get("/analysis/records", **P2, figure="holder", key="queue:NET2").json()
        assert [r["value"] // MIN for r in records["incidents"]] == [90, 60, 30, 30]
        flow = api.get(f"/analysis/incidents/{story.c.number}").json()
        assert flow["time_to_resolution"] == 420 * MIN and flow["on_clock"] == 180 * MIN
        assert flow["group_path"] == ["-", "NET2", "-", "APP2"]


def test_the_api_refuses_others_and_names_bad_filters(org, story):
    for person in (org.engineer, org.desk, org.requester):
        api = ApiClient(person)
        assert api.get("/analysis/summary").status_code == 404
        assert api.get(f"/analysis/incidents/{story.a.number}").status_code == 404
    owner = ApiClient(org.owner)
    response = owner.get("/analysis/summary", group="NOPE")
    assert response.status_code == 422 and "group" in response.json()["errors"]
    assert owner.get("/analysis/records", figure="nonsense").status_code == 422


def test_the_demo_company_has_p2s_that_bounce(org):
    from opsdesk.demo.analysis import analysis_seed
    from opsdesk.demo.services import demo_company_create
    from opsdesk.measures.analysis import analysis_build, analysis_filters

    result = demo_company_create(incidents=0, password="demo demo demo")
    assert result.incidents_created >= 8  # the company seeds the eight stories itself
    assert analysis_seed() == 0  # once only
    owner = type(org.owner).objects.get(username="owner")
    result = analysis_build(user=owner, filters=analysis_filters(priority="2"))
    pairs = {pair.key: pair.incidents for pair in result.pingpong_pairs}
    assert pairs["APP|DBA"] == 2 and pairs["NET|SYS"] == 2
    holders = {row.key: row for row in result.holders}
    assert holders["queue:NET"].business.total >= (210 + 180 + 260 + 190 + 240 + 150) * MIN
    assert holders["vendor"].business.total >= 300 * MIN


def test_a_period_too_big_says_what_to_narrow(owner_client, story, monkeypatch):
    from opsdesk.measures.analysis import cohort

    monkeypatch.setattr(cohort, "MAX_INCIDENTS", 4)
    response = english(owner_client, "/analysis/", P2)
    assert response.status_code == 422
    assert "choose a shorter period" in response.content.decode()
