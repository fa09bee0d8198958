"""The shipped PRC holiday data, checked against the notices' own weekday annotations."""

from datetime import date

from opsdesk.sla import holidays_cn


def _dates(year: int, kind: str) -> set[date]:
    return {day for day, day_kind, _zh, _en in holidays_cn.days(year) if day_kind == kind}


def test_2025_as_the_notice_states_it():
    holidays = _dates(2025, "holiday")
    assert len(holidays) == 1 + 8 + 3 + 5 + 3 + 8
    assert {date(2025, 1, 1), date(2025, 1, 28), date(2025, 2, 4), date(2025, 4, 4),
            date(2025, 5, 5), date(2025, 5, 31), date(2025, 6, 2), date(2025, 10, 8)} <= holidays
    assert _dates(2025, "workday") == {date(2025, 1, 26), date(2025, 2, 8), date(2025, 4, 27),
                                       date(2025, 9, 28), date(2025, 10, 11)}


def test_2026_is_present_as_the_notice_of_4_november_2025_states_it():
    holidays = _dates(2026, "holiday")
    assert len(holidays) == 3 + 9 + 3 + 5 + 3 + 3 + 7
    assert {date(2026, 1, 3), date(2026, 2, 15), date(2026, 2, 23), date(2026, 4, 6),
            date(2026, 5, 5), date(2026, 6, 19), date(2026, 9, 27), date(2026, 10, 7)} <= holidays
    assert date(2026, 10, 8) not in holidays
    assert _dates(2026, "workday") == {date(2026, 1, 4), date(2026, 2, 14), date(2026, 2, 28),
                                       date(2026, 5, 9), date(2026, 9, 20), date(2026, 10, 10)}


def test_the_weekdays_the_notices_print_match_the_dates():
    # The 2026 notice annotates each date: 1月1日(周四), 2月15日(周日), 2月23日(周一),
    # 4月4日(周六), 5月1日(周五), 6月19日(周五), 9月25日(周五), 10月1日(周四), 10月7日(周三).
    printed = {date(2026, 1, 1): 3, date(2026, 2, 15): 6, date(2026, 2, 23): 0,
               date(2026, 4, 4): 5, date(2026, 5, 1): 4, date(2026, 6, 19): 4,
               date(2026, 9, 25): 4, date(2026, 10, 1): 3, date(2026, 10, 7): 2}
    assert {day: day.weekday() for day in printed} == printed


def test_every_make_up_day_is_a_weekend_day_and_no_date_is_both():
    for year in holidays_cn.YEARS:
        assert all(day.weekday() >= 5 for day in _dates(year, "workday"))
        assert not _dates(year, "workday") & _dates(year, "holiday")


def test_thirteen_statutory_holidays_fall_on_weekdays_net_of_make_up_days():
    # 365 − 104 weekend days − 13 statutory days = 248 working days: weekday holidays minus
    # make-up days must be 13 in both years.
    for year in holidays_cn.YEARS:
        weekday_holidays = sum(day.weekday() < 5 for day in _dates(year, "holiday"))
        assert weekday_holidays - len(_dates(year, "workday")) == 13
