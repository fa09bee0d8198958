"""Writers of a problem's append-only history, one small helper per kind of entry."""

from django.utils import timezone

from .choices import ProblemEventKind
from .models import Problem, ProblemEvent


def _event(*, problem: Problem, kind: str, by, channel: str, **fields) -> ProblemEvent:
    return ProblemEvent.objects.create(problem=problem, kind=kind, actor=by, channel=channel,
                                       at=timezone.now(), **fields)


def problem_event_created(*, problem, by, channel) -> ProblemEvent:
    """The problem was raised."""
    return _event(problem=problem, kind=ProblemEventKind.CREATED, by=by, channel=channel,
                  to_status=problem.status)


def problem_event_field(*, problem, by, channel, field: str, old: str, new: str) -> ProblemEvent:
    """A field changed from old to new (as display text)."""
    return _event(problem=problem, kind=ProblemEventKind.FIELD, by=by, channel=channel,
                  field=field, old_value=old, new_value=new)


def problem_event_transition(*, problem, by, channel, action: str, from_status: str,
                             reason: str = "", data: dict | None = None) -> ProblemEvent:
    """An action of the transition table was taken."""
    return _event(problem=problem, kind=ProblemEventKind.TRANSITION, by=by, channel=channel,
                  action=action, from_status=from_status, to_status=problem.status,
                  new_value=reason, data=data or {})


def problem_event_link(*, problem, by, channel, incident, linked: bool) -> ProblemEvent:
    """An incident was linked to or unlinked from the problem."""
    kind = ProblemEventKind.LINKED if linked else ProblemEventKind.UNLINKED
    return _event(problem=problem, kind=kind, by=by, channel=channel, new_value=incident.number,
                  data={"incident": incident.number})


def problem_event_article(*, problem, by, channel, article, published: bool) -> ProblemEvent:
    """The workaround became a known-error article (published, or in review)."""
    return _event(problem=problem, kind=ProblemEventKind.ARTICLE, by=by, channel=channel,
                  new_value=article.number,
                  data={"article": article.number, "published": published})


def problem_event_notified(*, problem, by, channel, incidents: list) -> ProblemEvent:
    """The open incidents were told that the problem is resolved."""
    numbers = [i.number for i in incidents]
    return _event(problem=problem, kind=ProblemEventKind.NOTIFIED, by=by, channel=channel,
                  new_value=", ".join(numbers), data={"incidents": numbers})
