"""The process owner asks "where do our P2s lose time?" on /analysis/, in English and Chinese.

The story is test_analysis.py's hand-counted one. The page is opened for all priorities, P2 is
picked with one click, the biggest contributor's number opens the incidents behind it, and one
of them shows where its own time went. Texts the page must show are taken from the catalogue
(tr) or written out where the catalogue already has them (status labels)."""

import pytest
from django.utils import translation
from playwright.sync_api import expect

from opsdesk.measures.analysis import analysis_build, analysis_filters, findings
from opsdesk.measures.tests.test_analysis import PERIOD, story  # noqa: F401  (a fixture)

from .conftest import DJANGO_LANGUAGES, STATUS_LABELS

LANGUAGES = ["en", "zh"]


@pytest.fixture(autouse=True)
def _fresh_cache():
    """A live analysis is cached for five minutes; each test's story is a new one."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def expected_findings(org, lang):
    """The sentences in the reader's language, as the domain words them."""
    with translation.override(DJANGO_LANGUAGES[lang]):
        result = analysis_build(user=org.owner, filters=analysis_filters(**PERIOD, priority=2))
        return [finding.text for finding in findings(result)]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_where_do_our_p2s_lose_time(org, story, page_for, shoot, tr, lang):
    page = page_for(org.owner, lang)
    page.goto(f"/analysis/?start={PERIOD['start']}&end={PERIOD['end']}")
    expect(page.locator("h1")).to_have_text(tr(lang, "Process analysis"))
    expect(page.locator("#analysis-count .figure-n")).to_have_text("6")
    page.locator(".analysis-priorities a", has_text="P2").click()
    page.wait_for_url("**priority=2**")
    expect(page.locator("#analysis-count .figure-n")).to_have_text("5")
    expect(page.locator("#id_start")).to_have_value(PERIOD["start"])  # the period stays put
    expect(page.locator("#id_priority")).to_have_value("2")
    sentences = expected_findings(org, lang)
    expect(page.locator("ol.findings > li")).to_have_text(sentences)
    statuses = page.locator("#statuses-table tbody th")
    expect(statuses).to_contain_text([STATUS_LABELS[lang][key] for key in (
        "logged", "assigned", "in_progress", "pending", "resolved")])
    # the charts are drawn from the local plotly.js, the numbers stay readable as tables
    expect(page.locator("figure[data-chart='analysis-status-flow'] .js-plotly-plot")).to_be_visible()
    expect(page.locator("figure[data-chart='analysis-holders'] .js-plotly-plot")).to_be_visible()
    shoot(page, f"80-analysis-p2-{lang}")

    page.locator("ol.findings > li").first.locator("a").click()
    page.wait_for_url("**/analysis/records/**")
    rows = page.locator("#records-table tbody tr")
    expect(rows).to_have_count(3)  # A, F and B were worked on by NET2
    expect(rows.first).to_have_attribute("data-number", story.a.number)
    shoot(page, f"81-analysis-records-{lang}")

    rows.first.locator("a", has_text=tr(lang, "Where its time went")).click()
    page.wait_for_url(f"**/analysis/incidents/{story.a.number}/")
    expect(page.locator("#spells-table tbody tr")).to_have_count(6)  # no 0-minute spell
    expect(page.locator("#spells-table")).to_contain_text(tr(lang, "Waiting for the user"))
    shoot(page, f"82-analysis-incident-{lang}")


def test_a_flow_link_opens_its_incidents(org, story, page_for):
    page = page_for(org.owner, "en")
    page.goto(f"/analysis/?start={PERIOD['start']}&end={PERIOD['end']}&priority=2")
    figure = page.locator("figure[data-chart='analysis-group-flow']")
    figure.locator("summary").click()  # the numbers under the drawn graph
    table = figure.locator("table")
    table.locator("tr", has_text="2. NET2 → 3. APP2").locator("a").first.click()
    page.wait_for_url("**figure=group_flow**")
    expect(page.locator("#records-table tbody tr")).to_have_count(1)
    expect(page.locator("#records-table tbody tr").first).to_have_attribute(
        "data-number", story.b.number)


def test_an_engineer_finds_no_analysis(org, page_for):
    page = page_for(org.engineer, "en")
    assert page.goto("/analysis/").status == 404
