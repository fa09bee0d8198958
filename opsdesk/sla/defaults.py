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
