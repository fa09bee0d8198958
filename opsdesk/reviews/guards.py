"""The rule of issue 7: a major incident's master is not closed before its review is approved."""

from django.urls import reverse
from django.utils.translation import gettext as _

from opsdesk.core.exceptions import Conflict
from opsdesk.incidents.choices import Action
from opsdesk.major.selectors import is_major_master

from .models import PostIncidentReview, ReviewStatus

# Both ways to closed: the desk's close and the requester's (or owner's) confirmation. A master
# declared by mistake can still be cancelled.
CLOSING_ACTIONS = frozenset({Action.CLOSE, Action.CONFIRM})


def review_required_guard(*, incident, action, by, params) -> None:
    """Refuse to close a declared major master whose post-incident review is not approved.

    Registered with incidents.hooks.transition_guard_add; runs inside the transition's
    transaction on the locked incident row, so a review approved meanwhile is seen.
    """
    if action not in CLOSING_ACTIONS or not is_major_master(incident):
        return
    status = (PostIncidentReview.objects.filter(incident=incident)
              .values_list("status", flat=True).first())
    if status == ReviewStatus.APPROVED:
        return
    url = reverse("web:review", kwargs={"number": incident.number})
    if status is None:
        message = _("%(number)s is a major incident: write its post-incident review and have it "
                    "approved before closing it (%(url)s).")
    else:
        message = _("%(number)s is a major incident: its post-incident review must be approved "
                    "before it is closed; the review is %(status)s (%(url)s).")
    raise Conflict(message % {"number": incident.number, "url": url,
                              "status": ReviewStatus(status).label.lower() if status else ""})
