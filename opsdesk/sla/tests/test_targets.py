"""Typed SLA targets: parsing "15 min", "4 h", "1 working day" and showing seconds back."""

import pytest
from django.utils import translation

from opsdesk.sla.targets import target_parse, target_text

FIVE_BY_EIGHT, ROUND_THE_CLOCK = 8 * 3600, 24 * 3600


@pytest.mark.parametrize("text, seconds", [
    ("15 min", 900), ("15min", 900), ("90 minutes", 5400), ("4 h", 14400), ("1.5 h", 5400),
    ("2,5 hours", 9000), ("1 working day", 28800), ("3 working days", 86400), ("2 d", 57600),
    ("30 分钟", 1800), ("8 小时", 28800), ("1 个工作日", 28800), ("  4   H ", 14400),
])
def test_targets_people_type(text, seconds):
    assert target_parse(text, workday_seconds=FIVE_BY_EIGHT) == seconds


@pytest.mark.parametrize("text", ["", "soon", "4", "h", "4 weeks", "0 min", "0.5 min",
                                  "-1 h", "1.00001 h"])
def test_targets_refused(text):
    with pytest.raises(ValueError):
        target_parse(text, workday_seconds=FIVE_BY_EIGHT)


def test_a_working_day_needs_a_calendar_with_working_days():
    with pytest.raises(ValueError):
        target_parse("1 working day", workday_seconds=0)


@pytest.mark.parametrize("seconds, workday, round_the_clock, text", [
    (900, FIVE_BY_EIGHT, False, "15 min"), (7200, FIVE_BY_EIGHT, False, "2 h"),
    (28800, FIVE_BY_EIGHT, False, "1 working day"), (86400, FIVE_BY_EIGHT, False,
                                                     "3 working days"),
    (14400, ROUND_THE_CLOCK, True, "4 h"), (86400, ROUND_THE_CLOCK, True, "24 h"),
    (5400, FIVE_BY_EIGHT, False, "90 min"), (90, FIVE_BY_EIGHT, False, "1.5 min"),
])
def test_targets_shown_and_read_back(seconds, workday, round_the_clock, text):
    with translation.override("en"):
        shown = target_text(seconds, workday_seconds=workday, round_the_clock=round_the_clock)
    assert shown == text
    assert target_parse(text, workday_seconds=workday) == seconds


@pytest.mark.parametrize("seconds, text", [(900, "15 分钟"), (7200, "2 小时"),
                                           (86400, "3 个工作日")])
def test_targets_shown_in_chinese_read_back(seconds, text):
    with translation.override("zh-hans"):
        shown = target_text(seconds, workday_seconds=FIVE_BY_EIGHT, round_the_clock=False)
    assert shown == text
    assert target_parse(shown, workday_seconds=FIVE_BY_EIGHT) == seconds
