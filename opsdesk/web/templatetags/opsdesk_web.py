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


@register.simple_tag
def sla_badge(incident, *, long: bool = False):
    """Remaining business time of the running SLA clock, coloured (no query: all in memory)."""
    from django.utils.translation import gettext as _

    from opsdesk.sla.state import duration_text, sla_state

    state = sla_state(incident=incident)
    if state is None:
        return "—"
    labels = {"ok": _("on time"), "warning": _("warning"), "breached": _("breached"),
              "paused": _("paused")}
    clock = _("Response") if state.clock == "response" else _("Resolution")
    left = duration_text(state.remaining_seconds)
    text = _("%(time)s left") % {"time": left} if state.remaining_seconds > 0 else \
        _("%(time)s over") % {"time": left}
    title = f"{clock}: {labels[state.colour]}"
    return format_html('<span class="sla sla-{}" title="{}">{}{}</span>', state.colour,
                       title, f"{title} · " if long else "", text)
