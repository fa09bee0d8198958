"""Template tags of the incident page's problems panel."""

from django import template

from opsdesk.problems.permissions import may_raise_problem, may_view_problems
from opsdesk.problems.selectors import incident_problem_links

register = template.Library()


@register.inclusion_tag("web/problems/_incident_panel.html")
def incident_problems(incident, user, staff):
    """The problems linked to incident, for staff (one query; none for anyone else)."""
    staff = bool(staff) and may_view_problems(user)
    if not staff:
        return {"staff": False}
    return {"incident": incident, "staff": True,
            "links": incident_problem_links(user=user, incident=incident),
            "may_raise": may_raise_problem(user) and incident.status != 90}
