"""Official PRC public-holiday arrangements (国务院办公厅 部分节假日安排), as plain data.

Sources, one notice per year, each read and checked date by date:

- 2025: 国务院办公厅关于2025年部分节假日安排的通知, published 2024-11-12,
  https://www.gov.cn/zhengce/content/202411/content_6986382.htm (the first year under the
  revised 全国年节及纪念日放假办法, which adds 除夕 and 5月2日).
- 2026: 国务院办公厅关于2026年部分节假日安排的通知, published 2025-11-04 (新华社 carried the
  full text the same day), https://www.gov.cn/zhengce/content/202511/content_7047090.htm.

Each holiday lists its whole 放假 range as the notice states it, weekend days included; each
make-up working day (调休上班) is a weekend day that is worked with a normal day's hours. To
add a year, append its notice's ranges here and name the notice above;
`services.calendars_load_defaults` adds a year to a calendar that has no day in it yet.
"""

from datetime import date, timedelta

# (first day, last day, Chinese name, English name)
HOLIDAYS: list[tuple[date, date, str, str]] = [
    # 2025
    (date(2025, 1, 1), date(2025, 1, 1), "元旦", "New Year's Day"),
    (date(2025, 1, 28), date(2025, 2, 4), "春节", "Spring Festival"),
    (date(2025, 4, 4), date(2025, 4, 6), "清明节", "Qingming Festival"),
    (date(2025, 5, 1), date(2025, 5, 5), "劳动节", "Labour Day"),
    (date(2025, 5, 31), date(2025, 6, 2), "端午节", "Dragon Boat Festival"),
    (date(2025, 10, 1), date(2025, 10, 8), "国庆节、中秋节", "National Day and Mid-Autumn Festival"),
    # 2026
    (date(2026, 1, 1), date(2026, 1, 3), "元旦", "New Year's Day"),
    (date(2026, 2, 15), date(2026, 2, 23), "春节", "Spring Festival"),
    (date(2026, 4, 4), date(2026, 4, 6), "清明节", "Qingming Festival"),
    (date(2026, 5, 1), date(2026, 5, 5), "劳动节", "Labour Day"),
    (date(2026, 6, 19), date(2026, 6, 21), "端午节", "Dragon Boat Festival"),
    (date(2026, 9, 25), date(2026, 9, 27), "中秋节", "Mid-Autumn Festival"),
    (date(2026, 10, 1), date(2026, 10, 7), "国庆节", "National Day"),
]

# (date, Chinese name, English name): weekend days that are worked (调休上班)
MAKEUP_WORKDAYS: list[tuple[date, str, str]] = [
    # 2025
    (date(2025, 1, 26), "春节调休上班", "Spring Festival make-up working day"),
    (date(2025, 2, 8), "春节调休上班", "Spring Festival make-up working day"),
    (date(2025, 4, 27), "劳动节调休上班", "Labour Day make-up working day"),
    (date(2025, 9, 28), "国庆节调休上班", "National Day make-up working day"),
    (date(2025, 10, 11), "国庆节调休上班", "National Day make-up working day"),
    # 2026
    (date(2026, 1, 4), "元旦调休上班", "New Year make-up working day"),
    (date(2026, 2, 14), "春节调休上班", "Spring Festival make-up working day"),
    (date(2026, 2, 28), "春节调休上班", "Spring Festival make-up working day"),
    (date(2026, 5, 9), "劳动节调休上班", "Labour Day make-up working day"),
    (date(2026, 9, 20), "国庆节调休上班", "National Day make-up working day"),
    (date(2026, 10, 10), "国庆节调休上班", "National Day make-up working day"),
]

YEARS = (2025, 2026)


def days(year: int) -> list[tuple[date, str, str, str]]:
    """Every dated day of the year as (date, "holiday" | "workday", Chinese name, English name)."""
    result = [(first + timedelta(days=offset), "holiday", zh, en)
              for first, last, zh, en in HOLIDAYS if first.year == year
              for offset in range((last - first).days + 1)]
    result += [(day, "workday", zh, en) for day, zh, en in MAKEUP_WORKDAYS if day.year == year]
    return sorted(result)
