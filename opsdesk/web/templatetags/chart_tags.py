"""Template helpers of the chart include (web/_chart.html): the numbers table, the scripts once."""

from django import template

from opsdesk.web.charts import chart_rows

register = template.Library()


@register.simple_tag
def chart_table(chart):
    """The chart's numbers as header cells and rows of {text, url} cells."""
    return chart_rows(chart)


@register.simple_tag(takes_context=True)
def chart_scripts_needed(context):
    """True the first time a request asks, so plotly.js (4.8 MB) and charts.js load once a page.

    Without a request (a template rendered on its own) every chart loads them: the browser
    fetches a script once, and charts.js ignores a second copy of itself.
    """
    request = context.get("request")
    if request is None:
        return True
    if getattr(request, "_opsdesk_chart_scripts", False):
        return False
    request._opsdesk_chart_scripts = True
    return True
