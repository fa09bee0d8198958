"""Hand-checked business-time cases (no database).

Every expected value below was worked out by hand against a wall calendar and the State
Council's notices (see holidays_cn.py); the reasoning is in the comment above each case. The
5×8 calendar works 09:00–12:00 and 13:00–18:00, Monday to Friday, 8 hours a day.
"""

from datetime import UTC, date, timedelta

import pytest

from opsdesk.sla.clock import (
    Calendar,
    NoBusinessTime,
    business_add,
    business_seconds,
    day_intervals,
    format_hours,
    is_business_time,
    next_business_start,
    parse_hours,
)

from .calendars import HOUR, WORKDAY, berlin, china_5x8, new_york, shanghai, week

CN = china_5x8()
ROUND_THE_CLOCK = Calendar(code="7x24", time_zone="Asia/Shanghai", is_24x7=True)


# --- 5×8 with the 2025 PRC holidays --------------------------------------------------------

def test_p3_one_working_day_from_friday_1730_before_national_day_2025():
    # Fri 26 Sep 17:30 → 30 min until 18:00. Sat 27 Sep is off. Sun 28 Sep is a make-up working
    # day (调休): 09–12 (3 h, 3.5 h in all) and 13:00–17:30 (4.5 h) makes 8 h.
    assert business_add(CN, shanghai(2025, 9, 26, 17, 30), WORKDAY) == shanghai(2025, 9, 28, 17, 30)


def test_one_working_day_from_the_eve_of_national_day_2025_skips_the_holiday():
    # Tue 30 Sep 17:30 → 30 min. 1–8 Oct is the National Day and Mid-Autumn holiday.
    # Thu 9 Oct: 09–12 (3.5 h) and 13:00–17:30 (8 h).
    assert business_add(CN, shanghai(2025, 9, 30, 17, 30), WORKDAY) == shanghai(2025, 10, 9, 17, 30)


def test_incident_logged_on_the_make_up_sunday_2025_09_28_at_1000():
    logged = shanghai(2025, 9, 28, 10, 0)  # a Sunday, but a working day
    assert is_business_time(CN, logged)
    # P3 response, 2 h: 10:00–12:00, due exactly at the lunch break.
    assert business_add(CN, logged, 2 * HOUR) == shanghai(2025, 9, 28, 12, 0)
    # P3 resolution, 8 h: 10–12 and 13–18 on Sunday (7 h), then Mon 29 Sep 09:00–10:00.
    assert business_add(CN, logged, WORKDAY) == shanghai(2025, 9, 29, 10, 0)
    # P4 resolution, 24 h: Sun 7 h + Mon 29 8 h + Tue 30 8 h = 23 h, 1–8 Oct off, Thu 9 Oct 10:00.
    assert business_add(CN, logged, 3 * WORKDAY) == shanghai(2025, 10, 9, 10, 0)
    assert business_seconds(CN, logged, shanghai(2025, 10, 9, 10, 0)) == 3 * WORKDAY


def test_make_up_saturday_after_national_day_2025_is_worked():
    # Sat 11 Oct 2025 is a make-up day: Fri 10 Oct 17:00 + 2 h = 1 h Friday + Sat 09:00–10:00.
    assert business_add(CN, shanghai(2025, 10, 10, 17), 2 * HOUR) == shanghai(2025, 10, 11, 10)
    # An ordinary Saturday is not: Fri 17 Oct 17:00 + 2 h runs into Mon 20 Oct 10:00.
    assert business_add(CN, shanghai(2025, 10, 17, 17), 2 * HOUR) == shanghai(2025, 10, 20, 10)


def test_spring_festival_2025_with_its_make_up_sunday():
    # Fri 24 Jan 17:00: 1 h; Sat 25 off; Sun 26 Jan is a make-up day: 09–12, 13–17 = 7 h.
    assert business_add(CN, shanghai(2025, 1, 24, 17), WORKDAY) == shanghai(2025, 1, 26, 17)
    # Mon 27 Jan 17:00: 1 h; 28 Jan – 4 Feb off; Wed 5 Feb 09–12, 13–17 = 7 h.
    assert business_add(CN, shanghai(2025, 1, 27, 17), WORKDAY) == shanghai(2025, 2, 5, 17)
    # Sat 8 Feb 2025 is the second make-up day.
    assert is_business_time(CN, shanghai(2025, 2, 8, 9, 30))


def test_labour_day_2025_make_up_sunday_27_april():
    # Fri 25 Apr 18:00 + 3 h: Sat 26 off, Sun 27 Apr (make-up) 09:00–12:00.
    assert business_add(CN, shanghai(2025, 4, 25, 18), 3 * HOUR) == shanghai(2025, 4, 27, 12)
    # Wed 30 Apr 17:00 + 2 h: 1 h, 1–5 May off, Tue 6 May 09:00–10:00.
    assert business_add(CN, shanghai(2025, 4, 30, 17), 2 * HOUR) == shanghai(2025, 5, 6, 10)


def test_a_whole_year_counts_248_working_days():
    # 365 days − 104 weekend days − 13 statutory holidays = 248 working days in both years
    # (the make-up days exactly replace the weekdays taken beyond the 13 statutory ones).
    assert business_seconds(CN, shanghai(2025, 1, 1), shanghai(2026, 1, 1)) == 248 * WORKDAY
    assert business_seconds(CN, shanghai(2026, 1, 1), shanghai(2027, 1, 1)) == 248 * WORKDAY


# --- 2026 ----------------------------------------------------------------------------------

def test_national_day_2026_and_its_make_up_days():
    # Fri 18 Sep 2026 17:00: 1 h; Sat 19 off; Sun 20 Sep is a make-up day: 7 h → 17:00.
    assert business_add(CN, shanghai(2026, 9, 18, 17), WORKDAY) == shanghai(2026, 9, 20, 17)
    # Thu 24 Sep 17:00: 1 h; 25–27 Sep Mid-Autumn; Mon 28 09–12, 13–17 → 17:00.
    assert business_add(CN, shanghai(2026, 9, 24, 17), WORKDAY) == shanghai(2026, 9, 28, 17)
    # Wed 30 Sep 17:00: 1 h; 1–7 Oct off; Thu 8 Oct 7 h → 17:00.
    assert business_add(CN, shanghai(2026, 9, 30, 17), WORKDAY) == shanghai(2026, 10, 8, 17)
    assert is_business_time(CN, shanghai(2026, 10, 10, 9))  # Saturday, make-up day


def test_spring_festival_2026():
    # Thu 12 Feb 17:00 + 16 h: 1 h; Fri 13 Feb 8 h; Sat 14 Feb make-up day 09–12, 13–17 (7 h).
    assert business_add(CN, shanghai(2026, 2, 12, 17), 2 * WORKDAY) == shanghai(2026, 2, 14, 17)
    # Sat 14 Feb 17:00 + 2 h: 1 h; 15–23 Feb off; Tue 24 Feb 09:00–10:00.
    assert business_add(CN, shanghai(2026, 2, 14, 17), 2 * HOUR) == shanghai(2026, 2, 24, 10)
    assert not is_business_time(CN, shanghai(2026, 2, 23, 10))  # Monday, holiday
    assert is_business_time(CN, shanghai(2026, 2, 28, 10))  # Saturday, make-up day
    assert is_business_time(CN, shanghai(2026, 1, 4, 10))  # Sunday after New Year, make-up day


# --- Within a day ---------------------------------------------------------------------------

def test_lunch_break_is_spanned():
    # Mon 22 Sep 2025 11:30 + 1 h: 30 min before lunch, 30 min after 13:00.
    assert business_add(CN, shanghai(2025, 9, 22, 11, 30), HOUR) == shanghai(2025, 9, 22, 13, 30)
    assert business_seconds(CN, shanghai(2025, 9, 22, 11, 30), shanghai(2025, 9, 22, 13, 30)) \
        == HOUR
    assert business_seconds(CN, shanghai(2025, 9, 22, 12, 10), shanghai(2025, 9, 22, 12, 50)) == 0
    assert not is_business_time(CN, shanghai(2025, 9, 22, 12, 30))
    assert next_business_start(CN, shanghai(2025, 9, 22, 12, 30)) == shanghai(2025, 9, 22, 13)


@pytest.mark.parametrize("start, expected", [
    (shanghai(2025, 9, 22, 10, 0), shanghai(2025, 9, 22, 11, 0)),  # inside working hours
    (shanghai(2025, 9, 22, 7, 0), shanghai(2025, 9, 22, 10, 0)),  # before the day starts
    (shanghai(2025, 9, 22, 19, 0), shanghai(2025, 9, 23, 10, 0)),  # after the day ends
    (shanghai(2025, 9, 22, 18, 0), shanghai(2025, 9, 23, 10, 0)),  # exactly at the end
    (shanghai(2025, 9, 22, 12, 0), shanghai(2025, 9, 22, 14, 0)),  # at the start of lunch
    (shanghai(2025, 9, 20, 15, 0), shanghai(2025, 9, 22, 10, 0)),  # on an ordinary Saturday
    (shanghai(2025, 9, 19, 17, 30), shanghai(2025, 9, 22, 9, 30)),  # Friday evening
])
def test_one_hour_from_inside_and_outside_working_hours(start, expected):
    assert business_add(CN, start, HOUR) == expected


def test_an_interval_that_ends_the_budget_ends_there():
    # 8 h from Mon 09:00 is Mon 18:00, not Tue 09:00.
    assert business_add(CN, shanghai(2025, 9, 22, 9), WORKDAY) == shanghai(2025, 9, 22, 18)


def test_zero_seconds_is_the_start_itself_and_negative_is_refused():
    assert business_add(CN, shanghai(2025, 9, 27, 3), 0) == shanghai(2025, 9, 27, 3)
    with pytest.raises(ValueError):
        business_add(CN, shanghai(2025, 9, 27, 3), -1)


def test_business_seconds_is_zero_when_end_is_not_after_start():
    assert business_seconds(CN, shanghai(2025, 9, 22, 11), shanghai(2025, 9, 22, 10)) == 0
    assert business_seconds(CN, shanghai(2025, 9, 22, 11), shanghai(2025, 9, 22, 11)) == 0


def test_boundaries_are_half_open():
    assert is_business_time(CN, shanghai(2025, 9, 22, 9))
    assert not is_business_time(CN, shanghai(2025, 9, 22, 18))
    assert is_business_time(CN, shanghai(2025, 9, 22, 17, 59, 59))


def test_next_business_start():
    at = shanghai(2025, 9, 22, 10)
    assert next_business_start(CN, at) is at  # already business time
    assert next_business_start(CN, shanghai(2025, 9, 30, 18)) == shanghai(2025, 10, 9, 9)
    assert next_business_start(CN, shanghai(2025, 9, 27, 8)) == shanghai(2025, 9, 28, 9)
    # Across a year end: Wed 31 Dec 2025 18:00 → 1–3 Jan 2026 off, Sun 4 Jan is a make-up day.
    assert next_business_start(CN, shanghai(2025, 12, 31, 18)) == shanghai(2026, 1, 4, 9)


def test_other_time_zones_in_and_out():
    # 08:00 UTC is 16:00 in Shanghai: business time; the result keeps the caller's zone.
    start = shanghai(2025, 9, 22, 16).astimezone(UTC)
    result = business_add(CN, start, 3 * HOUR)  # 16–18 (2 h), then Tue 09:00–10:00 Shanghai
    assert result == shanghai(2025, 9, 23, 10) and result.tzinfo is UTC


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError):
        business_add(CN, shanghai(2025, 9, 22, 10).replace(tzinfo=None), HOUR)


# --- 7×24 -----------------------------------------------------------------------------------

def test_round_the_clock_counts_every_second_and_ignores_holidays():
    start = shanghai(2025, 9, 30, 17, 30)
    assert business_add(ROUND_THE_CLOCK, start, WORKDAY) == shanghai(2025, 10, 1, 1, 30)
    assert business_seconds(ROUND_THE_CLOCK, start, shanghai(2025, 10, 8, 17, 30)) == 8 * 86400
    assert is_business_time(ROUND_THE_CLOCK, shanghai(2025, 10, 1, 3))
    assert next_business_start(ROUND_THE_CLOCK, start) is start
    assert ROUND_THE_CLOCK.workday_seconds == 86400


def test_round_the_clock_across_dst_counts_elapsed_time_not_wall_time():
    clock = Calendar(code="de24", time_zone="Europe/Berlin", is_24x7=True)
    # Sat 25 Oct 2025 12:00 CEST is 10:00 UTC; 24 h later is 10:00 UTC = 11:00 CET on Sunday,
    # because the clocks went back an hour at 03:00 CEST that night.
    assert business_add(clock, berlin(2025, 10, 25, 12), 24 * HOUR) == berlin(2025, 10, 26, 11)


# --- DST: Europe/Berlin and America/New_York ----------------------------------------------

GERMAN_OFFICE = Calendar(code="de", time_zone="Europe/Berlin",
                         weekly=week("09:00-12:00, 13:00-18:00"))
ALL_DAY_BERLIN = Calendar(code="de-all", time_zone="Europe/Berlin", weekly=week("00:00-24:00", 7))


def test_berlin_office_across_the_autumn_dst_change():
    # Clocks go back on Sun 26 Oct 2025 (03:00 CEST → 02:00 CET), a day off anyway.
    # Fri 24 Oct 17:00 CEST + 2 h: 1 h on Friday, then Mon 27 Oct 09:00–10:00 CET.
    friday = berlin(2025, 10, 24, 17)
    assert business_add(GERMAN_OFFICE, friday, 2 * HOUR) == berlin(2025, 10, 27, 10)
    assert business_add(GERMAN_OFFICE, friday, 2 * HOUR).utcoffset() == timedelta(hours=1)
    # Wall clock 17:00 → 10:00 is 65 h, but 66 h passed; business time is still 2 h.
    assert business_seconds(GERMAN_OFFICE, friday, berlin(2025, 10, 27, 10)) == 2 * HOUR


def test_the_dst_days_are_25_and_23_hours_long_when_worked_all_day():
    autumn, spring = date(2025, 10, 26), date(2025, 3, 30)
    assert business_seconds(ALL_DAY_BERLIN, berlin(2025, 10, 26), berlin(2025, 10, 27)) \
        == 25 * HOUR
    assert business_seconds(ALL_DAY_BERLIN, berlin(2025, 3, 30), berlin(2025, 3, 31)) == 23 * HOUR
    for day, hours in ((autumn, 25), (spring, 23)):  # elapsed time is measured in UTC
        ((start, end),) = day_intervals(ALL_DAY_BERLIN, day)
        assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(
            hours=hours)


def test_the_repeated_hour_counts_twice():
    # 02:30 happens twice on 26 Oct 2025: first CEST (fold=0), an hour later CET (fold=1).
    first, second = berlin(2025, 10, 26, 2, 30), berlin(2025, 10, 26, 2, 30, fold=1)
    assert business_seconds(ALL_DAY_BERLIN, first, second) == HOUR
    # Compared in UTC: within one zone Python compares wall times and ignores fold.
    result = business_add(ALL_DAY_BERLIN, berlin(2025, 10, 26, 1, 30), 2 * HOUR)
    assert result.astimezone(UTC) == second.astimezone(UTC)
    assert result.utcoffset() == timedelta(hours=1)


def test_working_hours_that_fall_in_the_spring_gap():
    # On 30 Mar 2025 02:00–03:00 does not exist in Berlin; 02:00–04:00 holds one real hour.
    night = Calendar(code="night", time_zone="Europe/Berlin",
                     weekly=((),) * 6 + (parse_hours("02:00-04:00"),))
    assert business_seconds(night, berlin(2025, 3, 30), berlin(2025, 3, 31)) == HOUR
    assert business_seconds(night, berlin(2025, 3, 23), berlin(2025, 3, 24)) == 2 * HOUR


def test_new_york_office_across_the_end_of_daylight_time():
    office = Calendar(code="ny", time_zone="America/New_York", weekly=week("09:00-17:00"))
    # Clocks go back on Sun 2 Nov 2025. Fri 31 Oct 16:00 EDT + 2 h: 1 h Friday, Mon 09–10 EST.
    result = business_add(office, new_york(2025, 10, 31, 16), 2 * HOUR)
    assert result == new_york(2025, 11, 3, 10)
    assert result.astimezone(UTC).hour == 15  # 10:00 EST is 15:00 UTC


# --- Make-up day hours, calendars without work, hours as text ------------------------------

def test_workday_seconds_and_day_hours():
    assert CN.workday_seconds == WORKDAY
    assert CN.hours_on(date(2025, 10, 1)) == ()
    assert CN.hours_on(date(2025, 9, 28)) == parse_hours("09:00-12:00, 13:00-18:00")
    assert CN.is_workday(date(2025, 9, 28)) and not CN.is_workday(date(2025, 9, 27))
    intervals = day_intervals(CN, date(2025, 9, 28))
    assert [(s.hour, e.hour) for s, e in intervals] == [(9, 12), (13, 18)]


def test_a_calendar_without_any_work_says_so_instead_of_looping():
    idle = Calendar(code="idle", time_zone="Asia/Shanghai")
    assert business_seconds(idle, shanghai(2025, 1, 1), shanghai(2026, 1, 1)) == 0
    with pytest.raises(NoBusinessTime):
        business_add(idle, shanghai(2025, 1, 1), 1)
    with pytest.raises(NoBusinessTime):
        next_business_start(idle, shanghai(2025, 1, 1))


def test_hours_text_round_trip_merging_and_errors():
    assert parse_hours("09:00-12:00, 13:00-18:00") == ((9 * HOUR, 12 * HOUR),
                                                        (13 * HOUR, 18 * HOUR))
    assert parse_hours("13:00-18:00；09:00-12:00") == parse_hours("09:00-12:00,13:00-18:00")
    assert parse_hours("09:00-12:00, 11:00-14:00") == ((9 * HOUR, 14 * HOUR),)
    assert parse_hours("") == ()
    assert format_hours(parse_hours("00:00-24:00")) == "00:00-24:00"
    for wrong in ("9-12", "12:00-09:00", "09:00-25:00", "09:61-10:00"):
        with pytest.raises(ValueError):
            parse_hours(wrong)


def test_equal_snapshots_compare_equal():
    assert china_5x8() == CN
    assert Calendar(code="a", time_zone="Asia/Shanghai") != Calendar(code="a",
                                                                    time_zone="Europe/Berlin")
