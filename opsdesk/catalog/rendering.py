"""Fulfilment instructions: Markdown rendered to HTML, then sanitised with nh3 (the process
owner writes them, but nothing typed into a form reaches a page unfiltered)."""

import markdown
import nh3

URL_SCHEMES = {"http", "https", "mailto"}


def instructions_html(text: str) -> str:
    """Safe HTML of Markdown text (lists, emphasis, links, code; no raw scripts or styles)."""
    if not (text or "").strip():
        return ""
    html = markdown.markdown(text, extensions=["sane_lists"], output_format="html")
    return nh3.clean(html, url_schemes=URL_SCHEMES, link_rel="noopener noreferrer")
