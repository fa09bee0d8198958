"""Small presentation helpers for the web templates."""

from django import template
from django.utils.html import format_html

register = template.Library()


@register.simple_tag
def priority(level):
    """A priority shown with its colour class (P1 red … P4 grey)."""
    if level is None:
        return ""
    return format_html('<span class="prio p{}" title="{}">P{}</span>', level.level, level.name,
                       level.level)


@register.simple_tag
def status_badge(incident):
    return format_html('<span class="badge s{}">{}</span>', incident.status,
                       incident.get_status_display())
