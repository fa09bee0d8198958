"""Checks that hostile input came out inert: in HTML, in mail headers and in CSV exports."""

import csv
import io
from email import message_from_bytes
from html.parser import HTMLParser

from opsdesk.core.testing.payloads import MARKER

URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "srcdoc",
                  "background", "poster"}
ACTIVE_TAGS = {"script", "iframe", "object", "embed", "svg", "math", "img", "style", "body",
               "details", "base", "link", "meta", "form"}
HTMX_ATTRIBUTES = ("hx-", "data-hx-")


class _Elements(HTMLParser):
    """Every start tag with its attributes, and the text inside each <script>/<style>."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags, self.raw_text, self._in = [], [], None

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, [(name, value or "") for name, value in attrs]))
        if tag in ("script", "style"):
            self._in = tag

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, [(name, value or "") for name, value in attrs]))

    def handle_endtag(self, tag):
        if tag == self._in:
            self._in = None

    def handle_data(self, data):
        if self._in:
            self.raw_text.append((self._in, data))


def live_markup(html: str) -> list[str]:
    """What of the payload became markup: tags, event handlers, script URLs, htmx attributes."""
    parser = _Elements()
    parser.feed(html)
    parser.close()
    found = []
    marker = MARKER.lower()
    for tag, attrs in parser.tags:
        if marker in tag:
            found.append(f"<{tag}> from the payload")
        for name, value in attrs:
            lowered = value.lower()
            if marker in name:
                found.append(f"attribute {name} on <{tag}> from the payload")
            elif marker in lowered and (
                    name.startswith("on") or name.startswith(HTMX_ATTRIBUTES)
                    or (name in URL_ATTRIBUTES and lowered.strip().startswith(
                        ("javascript:", "data:", "vbscript:", "//", "http")))
                    or (tag in ACTIVE_TAGS and name not in ("alt", "title", "value"))):
                found.append(f"<{tag} {name}={value!r}>")
    for tag, text in parser.raw_text:
        if marker in text.lower():
            found.append(f"<{tag}> content from the payload: {text[:80]!r}")
    return found


def evaluated_templates(html: str) -> list[str]:
    """Template payloads that a template engine evaluated (49 or the year right before MARKER)."""
    return [hit for hit in (f"49{MARKER}", f"2026{MARKER}", f"2027{MARKER}") if hit in html]


def assert_inert_html(html: str, where: str = "") -> None:
    problems = live_markup(html) + evaluated_templates(html)
    assert not problems, f"{where}: payload became live: {problems}"


def injected_headers(raw: bytes, allowed_recipients: set[str]) -> list[str]:
    """Headers that should not be there: Bcc/Cc/Set-Cookie, extra recipients, split bodies."""
    message = message_from_bytes(raw)
    problems = [f"{name}: {message[name]}" for name in ("Bcc", "Cc", "Set-Cookie")
                if message[name] is not None]
    recipients = {addr.strip().lower() for addr in (message["To"] or "").split(",") if addr}
    if recipients - allowed_recipients:
        problems.append(f"To: {message['To']}")
    for name, value in message.items():
        if "\r" in value or "\n" in value.replace("\n ", "").replace("\n\t", ""):
            problems.append(f"{name} carries a line break: {value!r}")
    return problems


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def formula_cells(csv_bytes: bytes) -> list[str]:
    """Cells a spreadsheet would run as a formula (the export must prefix them with ')."""
    text = csv_bytes.decode("utf-8-sig")
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row
            if cell.lstrip(" ").startswith(FORMULA_STARTS) and len(cell) > 1
            and not cell.lstrip("-+").replace(".", "", 1).isdigit()]
