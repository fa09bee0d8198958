"""Who may do what to a problem: every role × every action, allowed and denied."""

import pytest

from opsdesk.core.exceptions import NotFound, NotPermitted
from opsdesk.core.testing.matrix import (ALLOW, DENY, check_matrix_complete, matrix_cases)
from opsdesk.problems import selectors, services

from .conftest import problem_make

ROLES = ("requester", "desk", "engineer", "other_engineer", "manager", "owner", "admin")
A, D = ALLOW, DENY
MATRIX = {
    # read a problem (others get a 404, so its existence does not leak)
    "view": {"requester": D, "desk": A, "engineer": A, "other_engineer": A, "manager": A,
             "owner": A, "admin": D},
    "raise": {"requester": D, "desk": A, "engineer": A, "other_engineer": A, "manager": A,
              "owner": A, "admin": D},
    # staff link the incidents they see (APP2's engineer does not see NET2's incident)
    "link": {"requester": D, "desk": A, "engineer": A, "other_engineer": D, "manager": A,
             "owner": A, "admin": D},
    # work it: managers, process owners, the engineers of the owner group (NET2)
    "update": {"requester": D, "desk": D, "engineer": A, "other_engineer": D, "manager": A,
               "owner": A, "admin": D},
    "transition": {"requester": D, "desk": D, "engineer": A, "other_engineer": D, "manager": A,
                   "owner": A, "admin": D},
    "unlink": {"requester": D, "desk": D, "engineer": A, "other_engineer": D, "manager": A,
               "owner": A, "admin": D},
    "triage": {"requester": D, "desk": D, "engineer": D, "other_engineer": D, "manager": A,
               "owner": A, "admin": D},
}


def test_the_matrix_is_complete():
    check_matrix_complete(MATRIX, actions=list(MATRIX), roles=ROLES)


def _do(action, person, org, problem, incident):
    if action == "view":
        selectors.problem_get(user=person, number=problem.number)
    elif action == "raise":
        services.problem_raise(by=person, incidents=[], data={"short_description": "x"})
    elif action == "link":
        services.problem_incidents_link(problem=problem, by=person, incidents=[incident])
    elif action == "update":
        services.problem_update(problem=problem, by=person, data={"root_cause": "x"})
    elif action == "transition":
        services.problem_transition(problem=problem, action="investigate", by=person)
    elif action == "unlink":
        services.problem_incident_unlink(problem=problem, by=person, incident=incident)
    elif action == "triage":
        selectors.candidate_list(user=person)


@pytest.mark.parametrize("action,role,expected", matrix_cases(MATRIX))
def test_permission(org, incidents, action, role, expected):
    linked = incidents[0] if action == "unlink" else None
    problem = problem_make(org, incidents=[linked] if linked else [], short_description="P")
    person = getattr(org, role)
    incident = linked or incidents[1]
    if expected == ALLOW:
        _do(action, person, org, problem, incident)
    else:
        with pytest.raises((NotPermitted, NotFound)):
            _do(action, person, org, problem, incident)
