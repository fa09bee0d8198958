"""A review as a document: printable HTML, Markdown and PDF (WeasyPrint), in the active language.

Times are shown in the active time zone (the web sets the reader's). The HTML escapes every
text the authors typed; the PDF renderer fetches nothing from outside, not even our own pages.
"""

from dataclasses import dataclass

from django.template.loader import render_to_string
from django.utils import formats, timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from .models import PostIncidentReview
from .prefill import duration_text
from .selectors import review_actions, review_authors, review_timeline


@dataclass
class Document:
    """Everything a review document shows, read once (a fixed number of queries)."""

    review: PostIncidentReview
    timeline: list
    actions: list
    authors: list

    @property
    def incident(self):
        return self.review.incident

    @property
    def duration(self) -> str:
        start, end = self.review.impact_started_at, self.review.impact_ended_at
        return duration_text(end - start) if start and end else ""


def review_document(review: PostIncidentReview) -> Document:
    """The review with its timeline, actions and authors."""
    return Document(review=review, timeline=review_timeline(review),
                    actions=review_actions(review), authors=review_authors(review))


def review_filename(review: PostIncidentReview, extension: str) -> str:
    """PIR-INC202611250001.md: the incident number names every export."""
    return f"PIR-{review.incident.number}.{extension}"


def review_html(review: PostIncidentReview, *, screen: bool = False) -> str:
    """The printable document; `screen` adds the links a reader on the web page needs."""
    lang = (get_language() or "zh-hans").lower()
    return render_to_string("reviews/document.html", {
        "doc": review_document(review), "screen": screen,
        "html_lang": "zh-Hans" if lang.startswith("zh") else "en",
        "generated_at": timezone.localtime()})


def review_pdf(review: PostIncidentReview) -> bytes:
    """The document as PDF, with the CJK fonts of the system (fonts-noto-cjk)."""
    from weasyprint import HTML  # loads pango: only when a PDF is asked for

    return HTML(string=review_html(review), url_fetcher=_fetch_nothing,
                base_url=None).write_pdf()


def _fetch_nothing(url, *args, **kwargs):
    raise ValueError(f"The review document loads no resources ({url[:60]}).")


def review_markdown(review: PostIncidentReview) -> str:
    """The document as Markdown (CommonMark, tables as in GitHub's flavour)."""
    doc = review_document(review)
    out = [f"# {_('Post-incident review')}: {doc.incident.number}", "",
           _md(doc.incident.short_description), ""]
    out += _md_facts(doc)
    for title, text in ((_("Summary"), doc.review.summary), (_("Impact"), doc.review.impact)):
        out += [f"## {title}", "", _md_block(text), ""]
    out += _md_figures(doc)
    out += [f"## {_('Timeline')}", ""]
    out += [f"- **{_time(e.at)}** — {_md(e.text)}" for e in doc.timeline] or [_("(empty)")]
    out += ["", f"## {_('Root cause')}", "", _md_block(doc.review.root_cause)]
    if doc.review.problem_reference:
        out += ["", _("Problem: %(number)s") % {"number": doc.review.problem_reference}]
    out += ["", f"## {_('Lessons learned')}", "", _md_block(doc.review.lessons_learned), ""]
    out += _md_actions(doc)
    return "\n".join(out).rstrip() + "\n"


def _md_facts(doc) -> list[str]:
    review = doc.review
    facts = [(_("Status"), review.get_status_display()),
             (_("Authors"), ", ".join(str(a) for a in doc.authors) or "—"),
             (_("Approved by"), f"{review.approved_by} ({_time(review.approved_at)})"
              if review.approved_by_id else "—")]
    return [f"- **{label}:** {_md(value)}" for label, value in facts] + [""]


def _md_figures(doc) -> list[str]:
    review = doc.review
    rows = [(_("Impact started"), _time(review.impact_started_at)),
            (_("Impact ended"), _time(review.impact_ended_at)),
            (_("Duration"), doc.duration or "—"),
            (_("Affected services"), f"{review.affected_services_count} "
                                     f"({review.affected_services or '—'})"),
            (_("Affected users"), str(review.affected_users_count)),
            (_("Affected departments"), str(review.affected_departments_count))]
    return ([f"| {_('Figure')} | {_('Value')} |", "| --- | --- |"]
            + [f"| {label} | {_cell(value)} |" for label, value in rows] + [""])


def _md_actions(doc) -> list[str]:
    out = [f"## {_('Actions')}", ""]
    if not doc.actions:
        return out + [_("(none)")]
    out += [f"| {_('Action')} | {_('Owner')} | {_('Due')} | {_('Status')} |",
            "| --- | --- | --- | --- |"]
    for action in doc.actions:
        due = formats.date_format(action.due_on, "Y-m-d") if action.due_on else "—"
        status = action.get_status_display()
        if action.done_at:
            status += f" ({_time(action.done_at)})"
        out.append(f"| {_cell(action.text)} | {_cell(str(action.owner))} | {due} | {status} |")
    return out


def _time(value) -> str:
    if value is None:
        return "—"
    return formats.date_format(timezone.localtime(value), "Y-m-d H:i")


def _md(text: str) -> str:
    """One line of typed text: kept readable, never taken for Markdown or HTML markup."""
    text = " ".join((text or "").split())
    for char in "\\`*_[]<>#|":
        text = text.replace(char, "\\" + char)
    return text


def _md_block(text: str) -> str:
    lines = [_md(line) for line in (text or "").splitlines()]
    return "  \n".join(lines).strip() or _("(empty)")


def _cell(text: str) -> str:
    return _md(text) or "—"
