"""The process owner reads the KPIs on /measures/, opens one, and follows a number to the
incidents it counts, in English and Chinese. The week is measures/tests/story.py, whose hand
count is written out in measures/tests/test_kpis.py."""

import pytest
from playwright.sync_api import expect

from opsdesk.measures.rollups import rollup_tick
from opsdesk.measures.tests.story import story_build

LANGUAGES = ["en", "zh"]
MARCH = "start=2025-03-01&end=2025-03-31"


@pytest.fixture
def story(org):
    s = story_build(org)
    rollup_tick()
    return s


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_process_owner_follows_a_kpi_to_its_incidents(org, story, page_for, shoot, tr,
                                                          lang):
    page = page_for(org.owner, lang)
    page.goto(f"/measures/?{MARCH}")
    expect(page.locator("h1")).to_have_text(tr(lang, "KPIs"))
    row = page.locator("tr[data-kpi='resolution_on_time']")
    expect(row.locator("td").first).to_have_text("75.0 %")
    expect(row).to_contain_text(tr(lang, "missed"))
    shoot(page, f"85-measures-{lang}")
    row.locator("th a").click()
    page.wait_for_url("**/measures/resolution_on_time/**")
    expect(page.locator("h1")).to_have_text(tr(lang, "Resolution on time (SLA attainment)"))
    expect(page.locator(".formula")).to_be_visible()
    # The trend and the breakdowns are drawn with the local plotly.js; the numbers stay tables.
    expect(page.locator("figure.chart-line .js-plotly-plot")).to_be_visible()
    expect(page.locator("figure[data-chart='kpi-group'] .js-plotly-plot")).to_be_visible()
    shoot(page, f"86-measure-resolution-on-time-{lang}")
    page.locator("dd.kpi-value a").click()
    page.wait_for_url("**/work/all/**")
    for letter in "ABCD":
        expect(page.locator("#queue-table")).to_contain_text(story.numbers[letter])
    expect(page.locator("#queue-table tbody tr")).to_have_count(4)
