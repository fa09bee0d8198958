"""Changes to post-incident reviews: create (prefilled), edit, timeline, actions, submit, approve.

A review is edited while it is a draft; submitting freezes it for the approver, who approves it
or returns it to the authors with a reason. Actions are followed up (done) at any time, also
after approval. Every service runs in a transaction and locks the review row it changes, so two
people submitting and editing at once never leave a half-written review.
"""

import re
from datetime import date, datetime

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from opsdesk.core.exceptions import Conflict, InvalidInput, NotPermitted
from opsdesk.core.services import model_update, text_clean
from opsdesk.incidents.models import Incident
from opsdesk.major.selectors import is_major_master

from . import prefill
from .models import (ActionStatus, PostIncidentReview, ReviewAction, ReviewStatus,
                     ReviewTimelineEntry, TimelineSource)
from .selectors import may_approve_reviews, may_read_reviews

TEXT_LIMITS = {"summary": 20_000, "impact": 20_000, "root_cause": 20_000,
               "lessons_learned": 20_000, "affected_services": 1000}
LINE_LIMIT = 2000
COUNT_LIMIT = 10_000_000
# Problem numbers are PRB + the day + a daily serial, like incident numbers.
PROBLEM_NUMBER = re.compile(r"PRB\d{8,16}")
EDITABLE = ("summary", "impact", "impact_started_at", "impact_ended_at", "affected_services",
            "affected_services_count", "affected_users_count", "affected_departments_count",
            "root_cause", "problem_reference", "lessons_learned")


# ---- create and edit ---------------------------------------------------------------------

def review_create(*, incident: Incident, by) -> PostIncidentReview:
    """Start the review of a declared major incident, prefilled from what was recorded.

    The impact is counted over the master, its children and the people attached to it; the
    timeline is drawn from the history, the children's reports, the alerts and the major
    incident's updates. Conflict if the incident is not a major master or already has one.
    """
    _check_staff(by)
    with transaction.atomic():
        incident = Incident.objects.select_for_update().get(pk=incident.pk)
        if not is_major_master(incident):
            raise Conflict(_("Only a declared major incident has a post-incident review."))
        if PostIncidentReview.objects.filter(incident=incident).exists():
            raise Conflict(_("%(number)s already has a post-incident review.") % {
                "number": incident.number})
        impact = prefill.impact_of(incident)
        review = PostIncidentReview.objects.create(
            incident=incident, created_by=by, summary=incident.short_description,
            impact=impact.describe(), impact_started_at=impact.started_at,
            impact_ended_at=impact.ended_at, affected_services=", ".join(impact.services)[:1000],
            affected_services_count=len(impact.services), affected_users_count=impact.users,
            affected_departments_count=impact.departments,
            problem_reference=_known_problem(incident.related_problem))
        review.authors.add(by)
        _lines_store(review, prefill.timeline_lines(incident))
    return review


def review_update(*, review: PostIncidentReview, by, data: dict) -> PostIncidentReview:
    """Change the review's text, impact figures, root cause, problem link or authors (draft)."""
    clean = _clean_fields(data)
    with transaction.atomic():
        review = _locked_draft(review, by)
        _period_check(review, clean)
        if "authors" in data:
            _authors_set(review, data["authors"])
        model_update(instance=review, data=clean, fields=list(EDITABLE))
        review.authors.add(by)
    return review


def _clean_fields(data: dict) -> dict:
    clean, errors = {}, {}
    for field, value in data.items():
        if field in TEXT_LIMITS:
            clean[field] = text_clean(value)
            if len(clean[field]) > TEXT_LIMITS[field]:
                errors[field] = _("Use at most %(limit)d characters.") % {
                    "limit": TEXT_LIMITS[field]}
        elif field.endswith("_count"):
            clean[field] = _count(field, value, errors)
        elif field in ("impact_started_at", "impact_ended_at"):
            clean[field] = _moment(field, value, errors)
        elif field == "problem_reference":
            clean[field] = _problem_check(value, errors)
        elif field != "authors":
            errors[field] = _("This field cannot be set.")
    if errors:
        raise InvalidInput(errors=errors)
    return clean


def _period_check(review, clean: dict) -> None:
    start = clean.get("impact_started_at", review.impact_started_at)
    end = clean.get("impact_ended_at", review.impact_ended_at)
    if start and end and end < start:
        raise InvalidInput(errors={"impact_ended_at": _(
            "The impact cannot end before it started.")})


def _count(field, value, errors) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = -1
    if not 0 <= number <= COUNT_LIMIT:
        errors[field] = _("Give a whole number from 0 to %(limit)d.") % {"limit": COUNT_LIMIT}
        return 0
    return number


def _moment(field, value, errors) -> datetime | None:
    if value in (None, ""):
        return None
    if not isinstance(value, datetime):
        errors[field] = _("Give a date and time.")
        return None
    return value if timezone.is_aware(value) else timezone.make_aware(value)


def _problem_check(value, errors) -> str:
    """A problem number that exists in problem management (its format until that app has one)."""
    number = (value or "").strip().upper()
    if not number:
        return ""
    if not PROBLEM_NUMBER.fullmatch(number):
        errors["problem_reference"] = _("A problem number looks like PRB202611250001.")
    elif not _problem_exists(number):
        errors["problem_reference"] = _("There is no problem %(number)s.") % {"number": number}
    return number


def _problem_exists(number: str) -> bool:
    try:
        problem = apps.get_model("problems", "Problem")
    except LookupError:  # problem management not installed yet: the format is all we can check
        return True
    return problem._default_manager.filter(number=number).exists()


def _known_problem(reference: str) -> str:
    """The incident's related problem, if it is a valid problem number."""
    errors = {}
    number = _problem_check(reference, errors)
    return "" if errors else number


def _authors_set(review, authors) -> None:
    authors = list(authors or [])
    outsiders = [u.username for u in authors if not may_read_reviews(u)]
    if outsiders:
        raise InvalidInput(errors={"authors": _(
            "Only support staff can write a review: %(users)s.") % {
            "users": ", ".join(outsiders)}})
    review.authors.set(authors)


# ---- timeline ----------------------------------------------------------------------------

def timeline_entry_add(*, review: PostIncidentReview, by, at, text: str) -> ReviewTimelineEntry:
    """Add a line typed by hand to the timeline (draft)."""
    at, text = _line_check(at, text)
    with transaction.atomic():
        review = _locked_draft(review, by)
        return ReviewTimelineEntry.objects.create(review=review, at=at, text=text,
                                                  source=TimelineSource.MANUAL)


def timeline_entry_update(*, entry: ReviewTimelineEntry, by, at, text: str) -> ReviewTimelineEntry:
    """Correct a line of the timeline, generated or typed (draft)."""
    at, text = _line_check(at, text)
    with transaction.atomic():
        _locked_draft(entry.review, by)
        model_update(instance=entry, data={"at": at, "text": text}, fields=["at", "text"])
    return entry


def timeline_entry_remove(*, entry: ReviewTimelineEntry, by) -> None:
    """Remove a line from the timeline (draft)."""
    with transaction.atomic():
        _locked_draft(entry.review, by)
        entry.delete()


def review_timeline_refresh(*, review: PostIncidentReview, by) -> int:
    """Add what was recorded since the last generated line (draft); edited lines stay as they are.

    Returns the number of lines added.
    """
    with transaction.atomic():
        review = _locked_draft(review, by)
        last = (review.timeline.exclude(source=TimelineSource.MANUAL)
                .order_by("-at").values_list("at", flat=True).first())
        return _lines_store(review, prefill.timeline_lines(review.incident, after=last))


def _line_check(at, text) -> tuple[datetime, str]:
    errors = {}
    text = text_clean(text)
    if not text:
        errors["text"] = _("Say what happened.")
    elif len(text) > LINE_LIMIT:
        errors["text"] = _("Use at most %(limit)d characters.") % {"limit": LINE_LIMIT}
    moment = _moment("at", at, errors)
    if moment is None and "at" not in errors:
        errors["at"] = _("Give the date and time.")
    if errors:
        raise InvalidInput(errors=errors)
    return moment, text


def _lines_store(review, lines) -> int:
    ReviewTimelineEntry.objects.bulk_create(
        [ReviewTimelineEntry(review=review, at=line.at, text=line.text, source=line.source)
         for line in lines])
    return len(lines)


# ---- actions -----------------------------------------------------------------------------

def review_action_add(*, review: PostIncidentReview, by, text: str, owner,
                      due_on: date | None) -> ReviewAction:
    """Add a follow-up action with its owner and due date (draft)."""
    text = _action_check(text, owner, due_on)
    with transaction.atomic():
        review = _locked_draft(review, by)
        return ReviewAction.objects.create(review=review, text=text, owner=owner, due_on=due_on)


def review_action_update(*, action: ReviewAction, by, text: str, owner,
                         due_on: date | None) -> ReviewAction:
    """Change an action's text, owner or due date (draft)."""
    text = _action_check(text, owner, due_on)
    with transaction.atomic():
        _locked_draft(action.review, by)
        model_update(instance=action, data={"text": text, "owner": owner, "due_on": due_on},
                     fields=["text", "owner", "due_on"])
    return action


def review_action_remove(*, action: ReviewAction, by) -> None:
    """Remove an action (draft)."""
    with transaction.atomic():
        _locked_draft(action.review, by)
        action.delete()


def review_action_done(*, action: ReviewAction, by, done: bool = True) -> ReviewAction:
    """Mark an action done (or open again); its owner or the review's editors, at any time."""
    if not (may_read_reviews(by) or (by is not None and by.pk == action.owner_id)):
        raise NotPermitted(_("Only support staff or the action's owner can do this."))
    with transaction.atomic():
        action = ReviewAction.objects.select_for_update().get(pk=action.pk)
        if done and action.status == ActionStatus.OPEN:
            action.status, action.done_at, action.done_by = ActionStatus.DONE, timezone.now(), by
        elif not done and action.status == ActionStatus.DONE:
            action.status, action.done_at, action.done_by = ActionStatus.OPEN, None, None
        else:
            return action
        action.save(update_fields=["status", "done_at", "done_by"])
    return action


def _action_check(text, owner, due_on) -> str:
    errors, text = {}, text_clean(text)
    if not text:
        errors["text"] = _("Say what is to be done.")
    elif len(text) > LINE_LIMIT:
        errors["text"] = _("Use at most %(limit)d characters.") % {"limit": LINE_LIMIT}
    if owner is None or not getattr(owner, "is_active", False):
        errors["owner"] = _("Name an active person who owns the action.")
    elif not may_read_reviews(owner):
        errors["owner"] = _("%(user)s is not on the support staff: only staff own review "
                            "actions.") % {"user": owner}
    if due_on is None:
        errors["due_on"] = _("Give the due date.")
    elif not isinstance(due_on, date) or isinstance(due_on, datetime):
        errors["due_on"] = _("Give a date.")
    if errors:
        raise InvalidInput(errors=errors)
    return text


# ---- submit, return, approve -------------------------------------------------------------

def review_submit(*, review: PostIncidentReview, by) -> PostIncidentReview:
    """Hand the draft to the approvers; it needs a summary, the impact and the root cause."""
    with transaction.atomic():
        review = _locked_draft(review, by)
        errors = _missing(review)
        if errors:
            raise InvalidInput(_("Complete the review before submitting it."), errors=errors)
        review.status, review.submitted_by = ReviewStatus.SUBMITTED, by
        review.submitted_at, review.return_reason = timezone.now(), ""
        review.save(update_fields=["status", "submitted_by", "submitted_at", "return_reason",
                                   "updated_at"])
    return review


def _missing(review) -> dict:
    errors = {}
    if not review.summary.strip():
        errors["summary"] = _("Write the summary.")
    if not review.impact.strip():
        errors["impact"] = _("Describe the impact: who, what, how long.")
    if not review.root_cause.strip() and not review.problem_reference:
        errors["root_cause"] = _("Give the root cause, or link the problem that investigates "
                                 "it.")
    if not review.timeline.exists():
        errors["timeline"] = _("The timeline is empty.")
    return errors


def review_return(*, review: PostIncidentReview, by, reason: str) -> PostIncidentReview:
    """The approver sends a submitted review back to its authors, saying what to change."""
    reason = text_clean(reason)
    if not reason:
        raise InvalidInput(errors={"reason": _("Say what the authors should change.")})
    with transaction.atomic():
        review = _locked_submitted(review, by)
        review.status, review.return_reason = ReviewStatus.DRAFT, reason[:1000]
        review.save(update_fields=["status", "return_reason", "updated_at"])
    return review


def review_approve(*, review: PostIncidentReview, by) -> PostIncidentReview:
    """Approve a submitted review (an incident manager or a process owner, not its submitter).

    From then on the master incident may be closed.
    """
    with transaction.atomic():
        review = _locked_submitted(review, by)
        if review.submitted_by_id == by.pk:
            raise NotPermitted(_("Someone other than the person who submitted the review must "
                                 "approve it."))
        review.status, review.approved_by, review.approved_at = (
            ReviewStatus.APPROVED, by, timezone.now())
        review.save(update_fields=["status", "approved_by", "approved_at", "updated_at"])
    return review


# ---- checks ------------------------------------------------------------------------------

def may_edit_review(*, user, review: PostIncidentReview) -> bool:
    """Support staff edit a draft review of an incident they see (the caller checked that)."""
    return may_read_reviews(user) and review.status == ReviewStatus.DRAFT


def _check_staff(by) -> None:
    if not may_read_reviews(by):
        raise NotPermitted(_("Only support staff work on post-incident reviews."))


def _locked(review) -> PostIncidentReview:
    return PostIncidentReview.objects.select_for_update().select_related("incident").get(
        pk=review.pk)


def _locked_draft(review, by) -> PostIncidentReview:
    _check_staff(by)
    review = _locked(review)
    if review.status != ReviewStatus.DRAFT:
        raise Conflict(_("The review is %(status)s: it can no longer be changed.") % {
            "status": review.get_status_display().lower()})
    return review


def _locked_submitted(review, by) -> PostIncidentReview:
    if not may_approve_reviews(by):
        raise NotPermitted(_("Only an incident manager or a process owner can approve or return "
                             "a review."))
    review = _locked(review)
    if review.status != ReviewStatus.SUBMITTED:
        raise Conflict(_("Only a submitted review can be approved or returned; this one is "
                         "%(status)s.") % {"status": review.get_status_display().lower()})
    return review


def users_by_username(field: str, usernames) -> list:
    """Active people by username; InvalidInput naming the field for an unknown one."""
    usernames = [u for u in dict.fromkeys(usernames or []) if u]
    found = {u.username: u for u in get_user_model().objects.filter(username__in=usernames,
                                                                    is_active=True)}
    unknown = [u for u in usernames if u not in found]
    if unknown:
        raise InvalidInput(errors={field: _("No active person with the user name %(names)s.") % {
            "names": ", ".join(f"“{u}”" for u in unknown)}})
    return [found[u] for u in usernames]
