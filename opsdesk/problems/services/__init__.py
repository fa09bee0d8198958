"""Problem services: every change to a problem or a candidate goes through one of these."""

from .candidates import (ScanReport, candidate_dismiss, candidate_raise, candidate_rule_get,
                         candidate_rule_update, candidates_scan)
from .known_error import known_error_publish
from .lifecycle import allowed_problem_actions, problem_transition
from .records import problem_incident_unlink, problem_incidents_link, problem_raise, problem_update
from .resolved import open_incidents_notify

__all__ = [
    "ScanReport", "allowed_problem_actions", "candidate_dismiss", "candidate_raise",
    "candidate_rule_get", "candidate_rule_update", "candidates_scan", "known_error_publish",
    "open_incidents_notify", "problem_incident_unlink", "problem_incidents_link",
    "problem_raise", "problem_transition", "problem_update",
]
