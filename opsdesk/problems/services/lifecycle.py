"""The one way to change a problem's status: problem_transition and PROBLEM_TRANSITIONS."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from opsdesk.core.exceptions import Conflict, InvalidInput, NotPermitted
from opsdesk.core.services import text_clean
from opsdesk.incidents.choices import Channel

from .. import events
from ..choices import PROBLEM_TRANSITIONS, ProblemAction, ProblemStatus
from ..models import Problem
from ..permissions import may_work_problem
from .known_error import known_error_publish
from .resolved import open_incidents_notify

REQUIRED_MESSAGES = {
    "workaround": lambda: _("Describe the workaround before recording a known error."),
    "resolution": lambda: _("Describe how the problem was fixed."),
    "reason": lambda: _("Give a reason."),
}


def allowed_problem_actions(*, user, problem: Problem) -> list[ProblemAction]:
    """Actions this person may take on this problem now (pages offer only these)."""
    if not may_work_problem(user, problem):
        return []
    return [a for a, t in PROBLEM_TRANSITIONS.items() if problem.status in t.sources]


def problem_transition(*, problem: Problem, action: str, by, channel: str = Channel.WEB,
                       **params) -> Problem:
    """Take `action` on the problem: lock, check who and from where, apply, record.

    params: workaround and root_cause (known_error), resolution and root_cause (resolve),
    reason (reopen; close before the problem is resolved). A known error publishes its
    workaround as a known-error article; a resolution tells the open incidents. Everything,
    the article and the replies included, commits or rolls back together.
    """
    try:
        action = ProblemAction(action)
    except ValueError:
        raise InvalidInput(_("Unknown action “%(action)s”.") % {"action": action}) from None
    rule = PROBLEM_TRANSITIONS[action]
    params = {k: text_clean(v) if isinstance(v, str) else v for k, v in params.items()}
    with transaction.atomic():
        problem = Problem.objects.select_for_update().get(pk=problem.pk)
        if not may_work_problem(by, problem):
            raise NotPermitted(_("Only incident managers, process owners and the engineers of "
                                 "the owner group work this problem."))
        if problem.status not in rule.sources:
            raise Conflict(_("A problem that is %(status)s cannot be given the action "
                             "“%(action)s”.") % {
                "status": ProblemStatus(problem.status).label.lower(), "action": action.label})
        _apply_fields(problem=problem, action=action, params=params)
        _require(problem=problem, action=action, params=params, required=rule.required)
        from_status, now = problem.status, timezone.now()
        problem.status = rule.target
        _stamp(problem=problem, action=action, now=now)
        problem.save()
        event = events.problem_event_transition(
            problem=problem, by=by, channel=channel, action=action, from_status=from_status,
            reason=params.get("reason") or "")
        _after(problem=problem, action=action, by=by, channel=channel, event=event)
    return problem


def _apply_fields(*, problem, action, params) -> None:
    """The texts an action carries are saved on the problem with it."""
    fields = {ProblemAction.KNOWN_ERROR: ("workaround", "root_cause"),
              ProblemAction.RESOLVE: ("resolution", "root_cause", "workaround")}
    for field in fields.get(action, ()):
        if params.get(field):
            setattr(problem, field, params[field])


def _require(*, problem, action, params, required) -> None:
    errors = {}
    for field in required:
        value = params.get(field) if field == "reason" else getattr(problem, field)
        if not value:
            errors[field] = REQUIRED_MESSAGES[field]()
    if (action == ProblemAction.CLOSE and problem.status != ProblemStatus.RESOLVED
            and not params.get("reason")):
        errors["reason"] = _("Say why the problem is closed without a resolution.")
    if errors:
        raise InvalidInput(errors=errors)


def _stamp(*, problem, action, now) -> None:
    if action == ProblemAction.KNOWN_ERROR:
        problem.known_error_at = now
    elif action == ProblemAction.RESOLVE:
        problem.resolved_at = now
    elif action == ProblemAction.REOPEN:
        problem.resolved_at = None
    elif action == ProblemAction.CLOSE:
        problem.closed_at = now


def _after(*, problem, action, by, channel, event) -> None:
    if action == ProblemAction.KNOWN_ERROR and problem.known_error_article_id is None:
        known_error_publish(problem=problem, by=by, channel=channel)
    elif action == ProblemAction.RESOLVE:
        open_incidents_notify(problem=problem, by=by, channel=channel, event=event)
