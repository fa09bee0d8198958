"""A review as Markdown, printable HTML and PDF (with its Chinese text)."""

import io
from datetime import date

from django.utils import translation
from pypdf import PdfReader

from opsdesk.reviews import exports, services

from .conftest import ROOT_CAUSE, review_ready


def test_markdown_has_every_part_of_the_review(org, major, action_owner):
    with translation.override("en"):  # the prefilled timeline is written in this language
        review = review_ready(org, major)
    services.review_action_add(review=review, by=org.manager, text="给连接池加告警 | 阈值 80%",
                               owner=action_owner, due_on=date(2030, 3, 1))
    with translation.override("en"):
        text = exports.review_markdown(review)
    assert text.startswith(f"# Post-incident review: {major.number}\n")
    for heading in ("## Summary", "## Impact", "## Timeline", "## Root cause",
                    "## Lessons learned", "## Actions"):
        assert f"\n{heading}\n" in text
    assert ROOT_CAUSE in text
    assert "| Affected users | 3 |" in text
    # A typed "|" cannot break the table.
    assert "| 给连接池加告警 \\| 阈值 80% | 王工 | 2030-03-01 | Open |" in text
    assert "Desk logged the incident." in text
    assert exports.review_filename(review, "md") == f"PIR-{major.number}.md"


def test_typed_markup_is_escaped_in_the_html(org, major):
    review = review_ready(org, major)
    review = services.review_update(review=review, by=org.manager,
                                    data={"summary": "<script>alert(1)</script>"})
    html = exports.review_html(review)
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html


def test_a_chinese_review_makes_a_pdf_that_contains_its_text(org, major):
    review = review_ready(org, major)
    with translation.override("zh-hans"):
        pdf = exports.review_pdf(review)
    assert pdf.startswith(b"%PDF")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    compact = "".join(text.split())
    assert "数据库连接池耗尽" in compact
    assert major.number in compact
    assert "根本原因" in compact or "Rootcause" in compact
