"""Shared helpers for permission-matrix tests: every role × every action, allowed and denied.

A matrix is written out explicitly in the test as {action: {role: expected}}, where expected is
ALLOW or DENY; `matrix_cases` turns it into pytest parameters, and `check_matrix_complete`
makes sure no role or action was left out, so a new role or action fails until someone decides.
"""

import pytest

ALLOW, DENY = "allow", "deny"


def check_matrix_complete(matrix: dict, *, actions, roles) -> None:
    """Raise if the matrix does not give an outcome for exactly every action × role."""
    missing = [(a, r) for a in actions for r in roles if r not in matrix.get(a, {})]
    extra = [(a, r) for a, row in matrix.items() for r in row
             if a not in set(actions) or r not in set(roles)]
    bad = [(a, r, v) for a, row in matrix.items() for r, v in row.items() if v not in (ALLOW, DENY)]
    if missing or extra or bad:
        raise AssertionError(f"permission matrix incomplete: missing={missing} extra={extra} "
                             f"bad={bad}")


def matrix_cases(matrix: dict) -> list:
    """pytest.param(action, role, expected) for every cell, with readable ids."""
    return [pytest.param(action, role, expected, id=f"{action}-{role}-{expected}")
            for action, row in matrix.items() for role, expected in row.items()]


# --- Incidents in a given status, and valid parameters for every action ---------------------

def action_params(action: str, org) -> dict:
    """Parameters that satisfy the action's required fields (assign goes to NET3)."""
    from opsdesk.reference.models import ClosureCode, PendingReason, ResolutionCode

    return {
        "assign": lambda: {"assignment_group": org.groups["NET3"]},
        "hand_back": lambda: {"reason": "Not a network problem"},
        "pend": lambda: {"pending_reason": PendingReason.objects.get(pk="02")},
        "resolve": lambda: {"resolution": "Replaced the switch port",
                            "resolution_code": ResolutionCode.objects.get(pk="08")},
        "reject": lambda: {"reason": "Still broken"},
        "close": lambda: {"closure_code": ClosureCode.objects.get(pk="01")},
        "cancel": lambda: {"reason": "Logged twice"},
        "reopen": lambda: {"reason": "It came back"},
    }.get(action, dict)()


# How each status is reached from the one before it, and by whom (the incident manager, so the
# engineers of NET2 are only members of the assignment group, never the assignee).
_PATH = {
    10: [],
    20: ["assign:NET2"],
    30: ["assign:NET2", "start"],
    35: ["assign:NET2", "start", "pend"],
    40: ["assign:NET2", "start", "resolve"],
    50: ["assign:NET2", "start", "resolve", "confirm"],
    90: ["cancel"],
}


def incident_in(status: int, org, **data):
    """An incident logged by the desk (its owner) for the requester, brought to `status`."""
    from opsdesk.core.testing.factories import incident_factory
    from opsdesk.incidents.services import incident_transition

    data.setdefault("requester", org.requester)
    incident = incident_factory(by=org.desk, **data)
    for step in _PATH[int(status)]:
        action, _sep, group = step.partition(":")
        params = ({"assignment_group": org.groups[group]} if group
                  else action_params(action, org))
        incident = incident_transition(incident=incident, action=action, by=org.manager,
                                       **params)
    assert incident.status == status
    return incident
