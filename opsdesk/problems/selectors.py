"""Reads of problems and candidates. Every lookup and list checks may_view_problems first."""

import re
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from opsdesk.core.exceptions import InvalidInput, NotFound
from opsdesk.incidents.models import Incident

from .choices import CandidateState, ProblemStatus
from .models import Problem, ProblemCandidate, ProblemEvent, ProblemIncident
from .permissions import may_manage_problems, may_view_problems

NUMBER_RE = re.compile(r"^PRB\d{8,16}$")


def problems_visible(user) -> QuerySet:
    """Problems user may read: all for support staff, none for anyone else."""
    if not may_view_problems(user):
        return Problem.objects.none()
    return Problem.objects.all()


def problem_get(*, user, number: str) -> Problem:
    """The problem with this number if user may see it; NotFound otherwise."""
    problem = (problems_visible(user).select_related(
        "owner_group", "assignee", "priority", "category", "service", "created_by",
        "known_error_article").filter(number=number).first())
    if problem is None:
        raise NotFound(_("Problem %(number)s was not found.") % {"number": number})
    return problem


@dataclass
class ProblemFilters:
    q: str = ""
    status: str = ""  # a status, or "open"
    owner_group_id: int | None = None
    assignee_id: int | None = None


def problem_list(*, user, filters: ProblemFilters, offset: int = 0,
                 limit: int = 50) -> tuple[list[Problem], int]:
    """One page of problems, newest first, each with its number of linked incidents.

    People who may not read problems get NotFound: the list does not exist for them."""
    if not may_view_problems(user):
        raise NotFound(_("Not found."))
    qs = _filtered(problems_visible(user), filters)
    total = qs.count()
    rows = list(qs.select_related("owner_group", "assignee", "priority")
                .annotate(incident_count=Count("incident_links"))
                .order_by("-id")[offset:offset + limit])
    return rows, total


def _filtered(qs: QuerySet, f: ProblemFilters) -> QuerySet:
    if f.status == "open":
        qs = qs.exclude(status__in=(ProblemStatus.RESOLVED, ProblemStatus.CLOSED))
    elif f.status:
        if f.status not in ProblemStatus.values:
            raise InvalidInput(errors={"status": _("Choose one of: %(values)s.") % {
                "values": ", ".join(["open", *ProblemStatus.values])}})
        qs = qs.filter(status=f.status)
    if f.owner_group_id:
        qs = qs.filter(owner_group_id=f.owner_group_id)
    if f.assignee_id:
        qs = qs.filter(assignee_id=f.assignee_id)
    if f.q:
        text = f.q.strip()
        qs = qs.filter(Q(number=text.upper()) | Q(short_description__icontains=text)
                       | Q(incident_links__incident__number=text.upper())).distinct()
    return qs


def problem_incidents(*, problem: Problem) -> list[ProblemIncident]:
    """The incidents linked to the problem, in link order (one query)."""
    return list(problem.incident_links.select_related(
        "incident", "incident__assignment_group", "incident__assignee", "incident__priority",
        "linked_by").order_by("linked_at", "id"))


def problem_history(*, problem: Problem) -> list[ProblemEvent]:
    return list(problem.events.select_related("actor").order_by("at", "id"))


def incident_problem_links(*, user, incident) -> list[ProblemIncident]:
    """The problems an incident is linked to, for support staff (one query; none for others)."""
    if not may_view_problems(user):
        return []
    return list(ProblemIncident.objects.filter(incident=incident).select_related("problem")
                .order_by("linked_at", "id"))


def candidate_list(*, user, state: str = CandidateState.OPEN, offset: int = 0,
                   limit: int = 50) -> tuple[list[ProblemCandidate], int]:
    """Candidates in a state, most recent recurrence first (managers and process owners)."""
    if not may_manage_problems(user):
        raise NotFound(_("Not found."))
    if state not in CandidateState.values:
        raise InvalidInput(errors={"state": _("Choose one of: %(values)s.") % {
            "values": ", ".join(CandidateState.values)}})
    qs = ProblemCandidate.objects.filter(state=state)
    rows = list(qs.select_related("problem", "decided_by")
                .order_by("-last_seen", "-id")[offset:offset + limit])
    return rows, qs.count()


def candidate_get(*, user, pk: int) -> ProblemCandidate:
    if not may_manage_problems(user):
        raise NotFound(_("Not found."))
    candidate = ProblemCandidate.objects.filter(pk=pk).first()
    if candidate is None:
        raise NotFound(_("Candidate %(id)s was not found.") % {"id": pk})
    return candidate


def candidate_incidents(candidates: list[ProblemCandidate]) -> dict[int, Incident]:
    """The incidents of a page of candidates by id, in one query."""
    ids = {pk for c in candidates for pk in c.incident_ids}
    return Incident.objects.only("id", "number", "short_description", "status",
                                 "registered_at").in_bulk(ids)
