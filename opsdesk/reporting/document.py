"""The monthly report as a document: printable HTML and PDF (WeasyPrint), in the active language.

Charts are static SVG drawn here (svg.py), so the PDF needs no JavaScript; the PDF renderer
fetches nothing from outside. Links in the PDF are absolute (OPSDESK_BASE_URL), so a reader can
open the incidents behind a number; on screen they stay relative.
"""

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import formats
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from . import svg
from .kpi_export import unit_label
from .monthly import MonthlyReport

PDF_CONTENT_TYPE = "application/pdf"


def monthly_title(report: MonthlyReport) -> str:
    """"Monthly service report, March 2026" in the active language."""
    return _("Monthly service report, %(month)s") % {"month": month_name(report.month)}


def month_name(month) -> str:
    return formats.date_format(month, "YEAR_MONTH_FORMAT")


def monthly_filename(report: MonthlyReport, extension: str) -> str:
    return f"opsdesk-monthly-report-{report.month:%Y-%m}.{extension}"


def monthly_html(report: MonthlyReport, *, screen: bool = False, by=None) -> str:
    """The printable document; `screen` adds the toolbar and keeps links relative."""
    lang = (get_language() or "zh-hans").lower()
    return render_to_string("reporting/monthly.html", {
        "report": report, "screen": screen, "title": monthly_title(report),
        "base": "" if screen else settings.OPSDESK_BASE_URL.rstrip("/"),
        "html_lang": "zh-Hans" if lang.startswith("zh") else "en", "by": by,
        "charts": _charts(report), "month_param": f"{report.month:%Y-%m}",
        "language_param": "zh-hans" if lang.startswith("zh") else "en"})


def monthly_pdf(report: MonthlyReport, *, by=None) -> bytes:
    """The document as PDF, with the CJK fonts of the system (fonts-noto-cjk)."""
    from weasyprint import HTML  # loads pango: only when a PDF is asked for

    return HTML(string=monthly_html(report, by=by), url_fetcher=_fetch_nothing,
                base_url=None).write_pdf()


def _fetch_nothing(url, *args, **kwargs):
    raise ValueError(f"The monthly report loads no resources ({url[:60]}).")


def _charts(report: MonthlyReport) -> dict:
    """The SVG charts of the document, by name."""
    trends = [svg.line_svg(title=f"{t.definition.name} ({unit_label(t.definition.unit)})",
                           labels=t.labels, values=t.values, target=t.definition.target,
                           unit=t.definition.unit) for t in report.trends]
    volume = {by: svg.bar_svg(title=title, labels=[r.label for r in report.volume[by][:8]],
                              values=[r.count for r in report.volume[by][:8]])
              for by, title in (("channel", _("By channel")), ("priority", _("By priority")))}
    scores = report.satisfaction["scores"]
    return {
        "trends": trends, **{f"volume_{by}": chart for by, chart in volume.items()},
        "scores": svg.bar_svg(title=_("Scores given"), labels=[str(s) for s, _n in scores],
                              values=[n for _s, n in scores]),
        "backlog": svg.bar_svg(title=_("Open incidents by age"),
                               labels=[r.label for r in report.backlog],
                               values=[r.count for r in report.backlog]),
    }
