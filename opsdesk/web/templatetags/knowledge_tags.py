"""Template tags of the knowledge pages and the incident page's knowledge panel."""

from django import template

from opsdesk.knowledge import selectors
from opsdesk.knowledge.selectors import is_kb_author, is_kb_staff

register = template.Library()


@register.inclusion_tag("web/knowledge/_incident_panel.html", takes_context=True)
def incident_articles(context, incident, user, staff):
    """The articles linked to incident (one query), the link form and the draft button."""
    from opsdesk.web.knowledge_forms import LinkForm

    staff = bool(staff) and is_kb_staff(user)
    return {"incident": incident, "staff": staff, "csrf_token": context.get("csrf_token"),
            "links": selectors.incident_articles(user=user, incident=incident),
            "form": LinkForm(auto_id="kb_%s"), "may_link": staff and incident.status != 90,
            "may_draft": is_kb_author(user) and bool(incident.resolution)}


@register.inclusion_tag("web/knowledge/_status.html")
def kb_status(article):
    """The article's status badge, and its new revision's when there is one."""
    return {"article": article}
