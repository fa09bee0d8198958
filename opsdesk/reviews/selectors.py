"""Reads of post-incident reviews; every lookup goes through the incident's visibility."""

from django.db.models import Q
from django.utils.translation import gettext as _

from opsdesk.core.exceptions import NotFound
from opsdesk.incidents.models import Incident
from opsdesk.incidents.services.relations import user_is_staff

from .models import ActionStatus, PostIncidentReview, ReviewAction, ReviewStatus


def may_read_reviews(user) -> bool:
    """Reviews are the support staff's records: a plain user never sees one (404)."""
    return bool(user is not None and user.is_authenticated and user.is_active
                and user_is_staff(user))


def may_approve_reviews(user) -> bool:
    """Incident managers and process owners approve reviews."""
    return bool(may_read_reviews(user)
                and (user.is_incident_manager or user.is_process_owner or user.is_superuser))


def review_incident_get(*, user, number: str) -> Incident:
    """The incident numbered `number` if user is staff and sees it; NotFound otherwise."""
    incident = None
    if may_read_reviews(user):
        incident = Incident.objects.restrict(user).filter(number=number).first()
    if incident is None:
        raise NotFound(_("Incident %(number)s was not found.") % {"number": number})
    return incident


def review_get(*, user, number: str) -> PostIncidentReview:
    """The review of the master numbered `number`, if user is staff and sees the incident.

    The owner of one of its actions reads it too, to follow the action up, even when the
    incident is another group's.
    """
    review = None
    if may_read_reviews(user):
        review = (PostIncidentReview.objects
                  .select_related("incident", "created_by", "submitted_by", "approved_by")
                  .filter(incident__number=number)
                  .filter(Q(incident__in=Incident.objects.restrict(user).filter(number=number))
                          | Q(pk__in=ReviewAction.objects.filter(
                              owner=user, review__incident__number=number).values("review")))
                  .first())
    if review is None:
        raise NotFound(_("There is no post-incident review of %(number)s.") % {
            "number": number})
    return review


def review_for_incident(incident: Incident) -> PostIncidentReview | None:
    """The incident's review, if any (no permission check: the caller did it)."""
    return PostIncidentReview.objects.filter(incident=incident).first()


def review_timeline(review: PostIncidentReview) -> list:
    """The timeline's lines, oldest first."""
    return list(review.timeline.order_by("at", "id"))


def review_actions(review: PostIncidentReview) -> list[ReviewAction]:
    """The review's actions with their owners, in the order they were added."""
    return list(review.actions.select_related("owner", "done_by").order_by("id"))


def review_authors(review: PostIncidentReview) -> list:
    return list(review.authors.order_by("display_name", "username"))


def review_list(*, user, status: str = "", limit: int = 100) -> list[PostIncidentReview]:
    """Reviews of the incidents user sees, newest first; submitted ones are what approvers read."""
    if not may_read_reviews(user):
        return []
    rows = PostIncidentReview.objects.select_related("incident", "approved_by").filter(
        incident__in=Incident.objects.restrict(user))
    if status in ReviewStatus.values:
        rows = rows.filter(status=status)
    return list(rows.order_by("-id")[:limit])


def actions_open_for(*, user, limit: int = 100) -> list[ReviewAction]:
    """The open review actions user owns, soonest due first."""
    return list(ReviewAction.objects.select_related("review__incident")
                .filter(owner=user, status=ActionStatus.OPEN)
                .order_by("due_on", "id")[:limit])
