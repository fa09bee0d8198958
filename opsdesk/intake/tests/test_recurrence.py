"""Repeating maintenance windows keep their local times in the window's time zone, also across
daylight saving time changes (Europe/Berlin), and in a zone without them (Asia/Shanghai)."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from opsdesk.intake.models import Alert, Silence
from opsdesk.intake.recurrence import occurrence_at
from opsdesk.intake.services.alerts import alerts_ingest
from opsdesk.intake.services.console import silence_save
from opsdesk.intake.tests.test_alert_ingest import alert, make_integration

BERLIN, SHANGHAI = ZoneInfo("Europe/Berlin"), ZoneInfo("Asia/Shanghai")


def local(zone, *parts) -> datetime:
    return datetime(*parts, tzinfo=zone)


def window_at(at: datetime, *, zone=BERLIN, repeat="daily", first=(2026, 1, 10, 2, 0),
              hours=2, until=None):
    """The occurrence in force at `at` of a window first at `first` (local), as local times."""
    start = local(zone, *first)
    found = occurrence_at(starts_at=start, ends_at=start + timedelta(hours=hours),
                          repeat=repeat, zone=zone, at=at, until=until)
    return found and tuple(when.astimezone(zone).strftime("%m-%d %H:%M %Z") for when in found)


def test_a_daily_window_made_in_winter_stays_at_two_in_the_morning_in_summer():
    assert window_at(local(BERLIN, 2026, 7, 10, 2, 30)) == ("07-10 02:00 CEST",
                                                           "07-10 04:00 CEST")
    assert window_at(local(BERLIN, 2026, 7, 10, 1, 30)) is None  # 24 h steps would be 03:00
    assert window_at(local(BERLIN, 2026, 7, 10, 4, 30)) is None
    assert window_at(local(BERLIN, 2026, 1, 20, 3, 59)) == ("01-20 02:00 CET", "01-20 04:00 CET")


def test_the_night_the_clocks_go_forward_the_skipped_hour_is_read_as_rfc_5545_says():
    # 02:00-03:00 does not exist on 29 March 2026: 02:00 is read with the winter offset,
    # which is 03:00 summer time, and the window still ends at 04:00 local.
    assert window_at(local(BERLIN, 2026, 3, 29, 3, 30)) == ("03-29 03:00 CEST",
                                                           "03-29 04:00 CEST")
    assert window_at(local(BERLIN, 2026, 3, 30, 2, 15)) == ("03-30 02:00 CEST",
                                                           "03-30 04:00 CEST")


def test_the_night_the_clocks_go_back_the_window_runs_from_the_first_two_oclock():
    first_two = datetime(2026, 10, 25, 0, 0, tzinfo=UTC)   # 02:00 CEST
    second_two = datetime(2026, 10, 25, 1, 0, tzinfo=UTC)  # 02:00 CET, an hour later
    assert window_at(first_two) == ("10-25 02:00 CEST", "10-25 04:00 CET")
    assert window_at(second_two + timedelta(minutes=30)) == ("10-25 02:00 CEST",
                                                             "10-25 04:00 CET")
    assert window_at(datetime(2026, 10, 25, 3, 1, tzinfo=UTC)) is None  # 04:01 CET


def test_a_weekly_window_keeps_its_weekday_and_hour_across_both_changes():
    first = (2026, 3, 1, 2, 0)  # a Sunday, winter time
    for day in (1, 8, 15, 22, 29):
        assert window_at(local(BERLIN, 2026, 3, day, 3, 45), repeat="weekly", first=first)
    sunday_in_april = window_at(local(BERLIN, 2026, 4, 5, 2, 0), repeat="weekly", first=first)
    assert sunday_in_april == ("04-05 02:00 CEST", "04-05 04:00 CEST")
    assert window_at(local(BERLIN, 2026, 4, 6, 2, 30), repeat="weekly", first=first) is None
    november = window_at(local(BERLIN, 2026, 11, 1, 2, 10), repeat="weekly", first=first)
    assert november == ("11-01 02:00 CET", "11-01 04:00 CET")


def test_in_shanghai_every_day_of_a_year_is_the_same_two_hours():
    start = local(SHANGHAI, 2026, 1, 1, 2, 0)
    for day in range(365):
        at = start + timedelta(days=day, minutes=30)
        found = occurrence_at(starts_at=start, ends_at=start + timedelta(hours=2),
                              repeat="daily", zone=SHANGHAI, at=at)
        assert found == (at - timedelta(minutes=30), at + timedelta(minutes=90)), day
        assert found[0].astimezone(UTC).hour == 18  # 02:00 in Shanghai is 18:00 UTC


def test_no_occurrence_starts_at_or_after_repeat_until():
    until = local(BERLIN, 2026, 7, 10, 2, 0)
    assert window_at(local(BERLIN, 2026, 7, 9, 2, 30), until=until)
    assert window_at(local(BERLIN, 2026, 7, 10, 2, 30), until=until) is None


def test_before_its_first_start_a_window_is_not_in_force():
    assert window_at(local(BERLIN, 2026, 1, 9, 2, 30)) is None


# --- through the model and the alert pipeline -------------------------------------------------

@pytest.mark.django_db
def test_a_window_saved_in_berlin_silences_at_local_two_oclock_in_summer_too():
    integration = make_integration()
    with timezone.override(BERLIN):  # the owner's own time zone, as the web activates it
        window = silence_save(silence=None, by=None, data={
            "kind": "maintenance", "integration": integration,
            "matchers": [["service", "=", "erp"]], "repeat": "daily",
            "starts_at": local(BERLIN, 2026, 1, 10, 2, 0),
            "ends_at": local(BERLIN, 2026, 1, 10, 4, 0)})
    assert Silence.objects.get().time_zone == "Europe/Berlin"
    moments = {"summer, 02:30 local": (local(BERLIN, 2026, 7, 10, 2, 30), "silenced"),
               "summer, 04:30 local": (local(BERLIN, 2026, 7, 10, 4, 30), "incident"),
               "winter, 03:30 local": (local(BERLIN, 2026, 12, 1, 3, 30), "silenced")}
    for n, (name, (at, handling)) in enumerate(moments.items()):
        with time_machine.travel(at, tick=False):
            alerts_ingest(integration=integration, alerts=[alert(f"fp{n}", at=at)])
        assert Alert.objects.get(fingerprint=f"fp{n}").handling == handling, name
    assert window.occurrence_end(local(BERLIN, 2026, 7, 10, 2, 30)) == \
        local(BERLIN, 2026, 7, 10, 4, 0)


@pytest.mark.django_db
def test_a_window_without_a_zone_keeps_the_sites_time_zone(settings):
    assert settings.TIME_ZONE == "Asia/Shanghai"
    start = local(SHANGHAI, 2026, 3, 1, 2, 0)
    window = Silence.objects.create(matchers=[["host", "=", "db1"]], starts_at=start,
                                    ends_at=start + timedelta(hours=2), repeat="daily")
    assert window.time_zone == "" and window.zone == SHANGHAI
    assert window.occurrence_end(local(SHANGHAI, 2026, 8, 1, 3, 0)) == \
        local(SHANGHAI, 2026, 8, 1, 4, 0)
    window.time_zone = "Mars/Olympus_Mons"  # a zone the system no longer knows
    assert window.zone == SHANGHAI
