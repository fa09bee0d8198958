"""The desk's alert console, as an agent uses it: from the top bar to the console, the alert seen
in the live list, opened, silenced for a few hours, and shown as silenced on the page and in
the list. Screenshots of the console and the silenced alert in both languages."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from opsdesk.intake.models import Alert, AlertIntegration, Silence
from opsdesk.intake.parsers.types import NormalizedAlert
from opsdesk.intake.services.alerts import alerts_ingest

LANGUAGES = ["en", "zh"]
# Written out, not taken from the catalogue, so a missing translation fails.
TEXT = {
    "en": {"nav": "Alerts", "heading": "Alert console", "silence": "Silence",
           "silenced": "silenced until", "done": "Silenced until"},
    "zh": {"nav": "告警", "heading": "告警控制台", "silence": "静默",
           "silenced": "静默至", "done": "已静默至"},
}


def alert_fired() -> Alert:
    integration = AlertIntegration(name="Prometheus", kind="alertmanager")
    integration.token_new()
    integration.save()
    alerts_ingest(integration=integration, alerts=[NormalizedAlert(
        source="alertmanager", fingerprint="db1-disk", status="firing", severity="critical",
        summary="Disk almost full on db1", labels={"alertname": "DiskFull", "host": "db1"},
        starts_at=timezone.now())])
    return Alert.objects.get()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_desk_silences_an_alert_from_the_console(org, page_for, shoot, lang, tr):
    text = TEXT[lang]
    alert = alert_fired()
    page = page_for(org.desk, lang)
    page.get_by_role("navigation", name=tr(lang, "Main")).get_by_role(
        "link", name=text["nav"], exact=True).click()
    page.wait_for_url("**/work/alerts/")
    expect(page.locator("h1")).to_have_text(text["heading"])
    row = page.locator(f"tr[data-alert='{alert.pk}']")
    expect(row).to_contain_text("Disk almost full on db1")
    expect(row).to_contain_text(alert.incident.number)
    expect(row).not_to_contain_text(text["silenced"])
    shoot(page, f"60-alert-console-{lang}")

    row.get_by_role("link", name="Disk almost full on db1").click()
    page.wait_for_url(f"**/work/alerts/{alert.pk}/")
    page.locator("#action-silence summary").click()
    form = page.locator("#action-silence form")
    form.locator("input[name=hours]").fill("4")
    form.locator("input[name=comment]").fill("db1 disk swap")
    form.get_by_role("button", name=text["silence"]).click()
    # htmx swaps in the alert's part with the message; the page itself stays.
    expect(page.locator("#alert-detail .message.success")).to_contain_text(text["done"])
    expect(page.locator("#alert-detail .incident-head .silenced")).to_be_visible()
    assert page.url.endswith(f"/work/alerts/{alert.pk}/")
    assert Silence.objects.get().comment == "db1 disk swap"
    shoot(page, f"61-alert-silenced-{lang}")

    page.goto("/work/alerts/")
    expect(page.locator(f"tr[data-alert='{alert.pk}'] .silenced")).to_contain_text(
        text["silenced"])
