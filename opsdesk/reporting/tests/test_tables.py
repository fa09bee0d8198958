"""Tables as CSV and xlsx: formula injection escaped, the BOM and Chinese, values read back."""

import csv
import io
from datetime import date, datetime
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from django.utils import timezone, translation

from opsdesk.reporting.tables import About, Table, csv_bytes, formula_safe, xlsx_bytes

DANGEROUS = ["=HYPERLINK(\"http://evil.example\",\"点我\")", "+1+2", "-3+4", "@SUM(A1:A2)",
             "\t=1", "\r=1", "＝1+1", "\n=1+1", " =1+1", "\u3000＝1+1", "  @SUM(A1)"]


def read_csv(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


@pytest.mark.parametrize("text", DANGEROUS)
def test_formula_starts_get_a_quote_in_csv(text):
    assert formula_safe(text) == "'" + text
    [_header, row] = read_csv(csv_bytes([Table("t", ["描述"], [[text]])]))
    assert row == ["'" + text]


def test_harmless_text_and_numbers_are_left_alone():
    rows = read_csv(csv_bytes([Table("t", ["a", "b", "c", "d"],
                                     [["打印机 = 坏了", -5, 92.5, "a,b\"c"]])]))
    assert rows[1] == ["打印机 = 坏了", "-5", "92.5", "a,b\"c"]


def test_csv_starts_with_a_bom_and_keeps_chinese():
    data = csv_bytes([Table("事件", ["编号", "简述"], [["INC202603010001", "邮件无法发送"]])])
    assert data.startswith(b"\xef\xbb\xbf")
    assert read_csv(data) == [["编号", "简述"], ["INC202603010001", "邮件无法发送"]]
    # Excel in China opens UTF-8 only with the BOM; without it the bytes read as GBK garbage.
    assert "邮件无法发送".encode() in data


def test_dates_in_the_current_time_zone_and_booleans_in_the_language():
    moment = datetime(2026, 3, 1, 1, 30, tzinfo=ZoneInfo("UTC"))
    with timezone.override("Asia/Shanghai"), translation.override("en"):
        rows = read_csv(csv_bytes([Table("t", ["at", "day", "ok", "none"],
                                         [[moment, date(2026, 3, 1), True, None]])]))
    assert rows[1] == ["2026-03-01 09:30", "2026-03-01", "Yes", ""]


def test_several_tables_in_one_csv_each_with_its_title():
    rows = read_csv(csv_bytes([Table("By group", ["g"], [["NET2"]]),
                               Table("=By service", ["s"], [["MAIL"]])]))
    assert rows == [["By group"], ["g"], ["NET2"], [], ["'=By service"], ["s"], ["MAIL"]]


def test_xlsx_reads_back_with_strings_never_formulas():
    moment = datetime(2026, 3, 1, 1, 30, tzinfo=ZoneInfo("UTC"))
    table = Table("事件/列表:*", ["文本", "数", "时间"],
                  [[text, n, moment] for n, text in enumerate(DANGEROUS)] + [["\x07bell", 1.5,
                                                                             None]])
    with timezone.override("Asia/Shanghai"):
        data = xlsx_bytes([table], About("About", [("导出人", "张三"), ("=x", "=y")]))
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["事件 列表", "About"]
    sheet = book["事件 列表"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("文本", "数", "时间")
    for n, text in enumerate(DANGEROUS):
        assert rows[n + 1][0] == text and rows[n + 1][1] == n
        assert rows[n + 1][2] == datetime(2026, 3, 1, 9, 30)
    assert rows[-1] == ("bell", 1.5, None)  # a control character Excel refuses is dropped
    for row in sheet.iter_rows():
        for cell in row:
            assert cell.data_type != "f"
    about = list(book["About"].iter_rows(values_only=True))
    assert about == [("导出人", "张三"), ("=x", "=y")]
    assert all(c.data_type == "s" for row in book["About"].iter_rows() for c in row)
