"""The incident page's post-incident review panel (one query for a major master, none otherwise)."""

from django import template

from opsdesk.reviews.models import PostIncidentReview
from opsdesk.reviews.selectors import may_read_reviews

register = template.Library()


@register.inclusion_tag("web/reviews/_incident_review.html")
def incident_review_panel(incident, user, major=None):
    """The review's status and link, for staff, on a declared major incident's master.

    major: the incident's MajorIncident when the caller has it (the major panel does), so the
    panel costs only the review's query; without it the panel reads it.
    """
    if incident is None or not may_read_reviews(user):
        return {"panel": None}
    if major is None:
        from opsdesk.major.selectors import is_major_master

        if not is_major_master(incident):
            return {"panel": None}
    elif major.declared_at is None or major.state == "rejected":
        return {"panel": None}
    review = PostIncidentReview.objects.filter(incident=incident).only("status").first()
    return {"panel": {"incident": incident, "review": review}}
