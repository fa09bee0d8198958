"""Markdown to safe HTML: the only way an article's HTML is made."""

import markdown
import nh3

# Markdown's tables, fenced code, definition lists and footnotes; nothing that runs code.
EXTENSIONS = ["extra", "sane_lists"]
# Sanitised with nh3's defaults (no scripts, styles, event handlers or javascript: links);
# links get rel="noopener noreferrer".
ALLOWED_SCHEMES = {"http", "https", "mailto", "tel"}
MAX_NESTING = 200


def markdown_render(source: str) -> str:
    """The sanitised HTML of Markdown source (raw HTML in the source is cleaned too)."""
    if not source:
        return ""
    html = markdown.markdown(source, extensions=EXTENSIONS, output_format="html")
    return html_clean(html)


def html_clean(html: str) -> str:
    """HTML with everything that could run or track removed."""
    return nh3.clean(html, url_schemes=ALLOWED_SCHEMES, link_rel="noopener noreferrer")
