"""The business calendars that ship with opsdesk, labelled in Simplified Chinese and English.

5×8 is Monday to Friday, 09:00–12:00 and 13:00–18:00: eight working hours with a one-hour lunch
break, the most common office day in China. It follows the PRC holiday arrangements of
holidays_cn.py, make-up working days included. 7×24 counts every minute.
"""

from . import holidays_cn

FIVE_BY_EIGHT_HOURS = "09:00-12:00, 13:00-18:00"

# (code, Chinese name, English name, time zone, 7×24?, hours Monday … Sunday, PRC holidays?)
CALENDARS = [
    ("7x24", "7×24 全天候", "7×24 round the clock", "Asia/Shanghai", True, ("",) * 7, False),
    ("5x8", "5×8 工作日(含法定节假日与调休)", "5×8 working days (PRC holidays and make-up days)",
     "Asia/Shanghai", False, (FIVE_BY_EIGHT_HOURS,) * 5 + ("", ""), True),
]

HOLIDAY_YEARS = holidays_cn.YEARS

HOUR, WORKING_DAY = 3600, 8 * 3600  # a 5×8 working day is 8 business hours
AWAITING_USER, AWAITING_VENDOR = "01", "02"  # pending reasons that pause resolution by default

# (code, Chinese name, English name, priority, response calendar, response seconds,
#  resolution calendar, resolution seconds, notify managers at creation,
#  notify managers at the second warning, reassign to the escalation group on breach)
POLICIES = [
    ("P1", "P1 默认", "P1 default", 1, "7x24", 15 * 60, "7x24", 4 * HOUR, True, True, True),
    ("P2", "P2 默认", "P2 default", 2, "7x24", 30 * 60, "7x24", 8 * HOUR, False, True, True),
    ("P3", "P3 默认", "P3 default", 3, "5x8", 2 * HOUR, "5x8", WORKING_DAY, False, False, False),
    ("P4", "P4 默认", "P4 default", 4, "5x8", 8 * HOUR, "5x8", 3 * WORKING_DAY,
     False, False, False),
]
AUTO_CLOSE_CALENDAR, AUTO_CLOSE_WORKING_DAYS = "5x8", 3
