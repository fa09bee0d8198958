"""Per-record visibility: the one place that decides who sees which incident."""

from django.db import models
from django.db.models import Q


class IncidentQuerySet(models.QuerySet):
    """Incident queries; every list and lookup starts with restrict()."""

    def restrict(self, user, action: str = "view") -> "IncidentQuerySet":
        """Incidents `user` may see (SPEC §1); what they may do to them is checked by the guards.

        - the desk, managers, process owners and administrators see all;
        - an engineer sees their groups' incidents and those they are assignee or collaborator on;
        - everyone sees incidents they requested or watch, and their department's if granted.
        """
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if user.sees_all_incidents:
            return self
        return self.filter(visibility_q(user))


def visibility_q(user) -> Q:
    """The visibility condition for a person who does not see everything.

    Watched and collaborated incidents are few per person, so their ids are read first and the
    condition stays on indexed columns of the incident table: no joins, no DISTINCT.
    """
    from .hooks import visibility_conditions
    from .models import Incident

    linked_ids = set(
        Incident.watchers.through.objects.filter(user_id=user.pk).values_list("incident_id", flat=True)
    )
    linked_ids.update(
        Incident.collaborators.through.objects.filter(user_id=user.pk)
        .values_list("incident_id", flat=True)
    )
    q = Q(requester_id=user.pk) | Q(assignee_id=user.pk)
    if user.can_view_department and user.department_id:
        q |= Q(requester_department_id=user.department_id)
    if user.support_group_ids:
        q |= Q(assignment_group_id__in=user.support_group_ids)
    if linked_ids:
        q |= Q(pk__in=linked_ids)
    for condition in visibility_conditions(user):  # e.g. the incidents of my groups' open tasks
        q |= condition
    return q
