"""Problem statuses, actions and the small table of allowed transitions."""

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _


class ProblemStatus(models.TextChoices):
    NEW = "new", _("New")
    INVESTIGATING = "investigating", _("Investigating")
    KNOWN_ERROR = "known_error", _("Known error")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


OPEN_PROBLEM_STATUSES = (ProblemStatus.NEW, ProblemStatus.INVESTIGATING,
                         ProblemStatus.KNOWN_ERROR)


class ProblemAction(models.TextChoices):
    INVESTIGATE = "investigate", _("Start investigating")
    KNOWN_ERROR = "known_error", _("Record as known error")
    RESOLVE = "resolve", _("Resolve")
    REOPEN = "reopen", _("Reopen")
    CLOSE = "close", _("Close")


@dataclass(frozen=True)
class ProblemTransition:
    """One row: where from, where to, which fields it needs (besides those already set)."""

    sources: tuple[ProblemStatus, ...]
    target: ProblemStatus
    required: tuple[str, ...] = ()


S = ProblemStatus
PROBLEM_TRANSITIONS: dict[ProblemAction, ProblemTransition] = {
    ProblemAction.INVESTIGATE: ProblemTransition((S.NEW,), S.INVESTIGATING),
    # A known error has its workaround written down; it is published as a known-error article.
    ProblemAction.KNOWN_ERROR: ProblemTransition((S.NEW, S.INVESTIGATING), S.KNOWN_ERROR,
                                                 ("workaround",)),
    # The permanent fix is in place; the open incidents linked to it are told.
    ProblemAction.RESOLVE: ProblemTransition(OPEN_PROBLEM_STATUSES, S.RESOLVED, ("resolution",)),
    ProblemAction.REOPEN: ProblemTransition((S.RESOLVED,), S.INVESTIGATING, ("reason",)),
    # Closing an unresolved problem (a duplicate, not a problem after all) needs a reason;
    # the services check that.
    ProblemAction.CLOSE: ProblemTransition(OPEN_PROBLEM_STATUSES + (S.RESOLVED,), S.CLOSED),
}


class ProblemEventKind(models.TextChoices):
    CREATED = "created", _("created")
    FIELD = "field", _("field changed")
    TRANSITION = "transition", _("status changed")
    LINKED = "linked", _("incident linked")
    UNLINKED = "unlinked", _("incident unlinked")
    ARTICLE = "article", _("known-error article")
    NOTIFIED = "notified", _("incidents notified")


class CandidateKind(models.TextChoices):
    CATEGORY = "category", _("Same category")
    SERVICE = "service", _("Same service")
    CI = "ci", _("Same configuration item")
    TEXT = "text", _("Similar text")
    WORKAROUND = "workaround", _("Resolved with a workaround, no problem")


class CandidateState(models.TextChoices):
    OPEN = "open", _("Open")
    RAISED = "raised", _("Raised")
    DISMISSED = "dismissed", _("Dismissed")
