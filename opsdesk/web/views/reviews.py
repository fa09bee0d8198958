"""Post-incident review pages (/reviews/): the list, one review (read and edit), its exports.

Staff only: anyone else gets a 404, as for an incident they may not see. Every change goes
through opsdesk.reviews.services; input errors are shown next to their fields with a 422.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from opsdesk.core.exceptions import Conflict, InvalidInput, NotFound, NotPermitted
from opsdesk.major.selectors import is_major_master
from opsdesk.reviews import exports, selectors, services
from opsdesk.reviews.models import ReviewStatus

from ..forms import DATETIME_LOCAL
from .incidents import _add_errors


def staff_required(view):
    """Sign-in required; reviews are the support staff's: anyone else finds nothing (404)."""
    @login_required
    def wrapped(request, *args, **kwargs):
        if not selectors.may_read_reviews(request.user):
            raise Http404
        return view(request, *args, **kwargs)
    wrapped.__name__, wrapped.__doc__ = view.__name__, view.__doc__
    return wrapped


# ---- forms -------------------------------------------------------------------------------

def _moment_field(label):
    return forms.DateTimeField(label=label, required=False, input_formats=[DATETIME_LOCAL],
                               widget=forms.DateTimeInput(attrs={"type": "datetime-local"},
                                                          format=DATETIME_LOCAL))


class ReviewForm(forms.Form):
    summary = forms.CharField(label=_lazy("Summary"), required=False, max_length=20_000,
                              widget=forms.Textarea(attrs={"rows": 4}))
    impact = forms.CharField(label=_lazy("Impact (who, what, how long)"), required=False,
                             max_length=20_000, widget=forms.Textarea(attrs={"rows": 4}))
    impact_started_at = _moment_field(_lazy("Impact started"))
    impact_ended_at = _moment_field(_lazy("Impact ended"))
    affected_services = forms.CharField(label=_lazy("Affected services"), required=False,
                                        max_length=1000)
    affected_services_count = forms.IntegerField(label=_lazy("Services affected"), min_value=0)
    affected_users_count = forms.IntegerField(label=_lazy("Users affected"), min_value=0)
    affected_departments_count = forms.IntegerField(label=_lazy("Departments affected"),
                                                    min_value=0)
    root_cause = forms.CharField(label=_lazy("Root cause"), required=False, max_length=20_000,
                                 widget=forms.Textarea(attrs={"rows": 4}))
    problem_reference = forms.CharField(
        label=_lazy("Problem"), required=False, max_length=40,
        help_text=_lazy("The problem that investigates the root cause, e.g. PRB202611250001."))
    lessons_learned = forms.CharField(label=_lazy("Lessons learned"), required=False,
                                      max_length=20_000, widget=forms.Textarea(attrs={"rows": 4}))
    authors = forms.CharField(label=_lazy("Authors"), required=False, max_length=1000,
                              help_text=_lazy("User names, separated by commas."))

    FIELDS = services.EDITABLE

    @classmethod
    def for_review(cls, review, authors):
        initial = {f: getattr(review, f) for f in cls.FIELDS}
        initial["authors"] = ", ".join(a.username for a in authors)
        return cls(initial=initial)

    def data_for_service(self) -> dict:
        data = {f: self.cleaned_data[f] for f in self.FIELDS}
        data["authors"] = services.users_by_username("authors", _usernames(
            self.cleaned_data["authors"]))
        return data


def _usernames(text: str) -> list[str]:
    return [u.strip() for u in text.replace("，", ",").split(",") if u.strip()]


class LineForm(forms.Form):
    at = forms.DateTimeField(label=_lazy("Time"), input_formats=[DATETIME_LOCAL],
                             widget=forms.DateTimeInput(attrs={"type": "datetime-local"},
                                                        format=DATETIME_LOCAL))
    text = forms.CharField(label=_lazy("What happened"), max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}))


class ReviewActionForm(forms.Form):
    text = forms.CharField(label=_lazy("Action"), max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}))
    owner = forms.CharField(label=_lazy("Owner (user name)"), max_length=150)
    due_on = forms.DateField(label=_lazy("Due date"), input_formats=["%Y-%m-%d"],
                             widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))


class ReturnForm(forms.Form):
    reason = forms.CharField(label=_lazy("What should the authors change?"), max_length=1000,
                             widget=forms.Textarea(attrs={"rows": 3}))


# ---- pages -------------------------------------------------------------------------------

@staff_required
def review_list(request):
    """Reviews of the incidents this person sees; submitted ones wait for an approver."""
    status = request.GET.get("status", "")
    return TemplateResponse(request, "web/reviews/list.html", {
        "nav": "reviews", "rows": selectors.review_list(user=request.user, status=status),
        "status": status, "statuses": ReviewStatus.choices,
        "my_actions": selectors.actions_open_for(user=request.user)})


def _review_or_404(request, number):
    try:
        return selectors.review_get(user=request.user, number=number)
    except NotFound:
        raise Http404 from None


@staff_required
def review(request, number):
    """The review: read it, and edit it while it is a draft; or start it for a major master."""
    try:
        found = selectors.review_get(user=request.user, number=number)
    except NotFound:
        return _no_review_yet(request, number)
    return _page(request, found)


def _no_review_yet(request, number):
    try:
        incident = selectors.review_incident_get(user=request.user, number=number)
    except NotFound:
        raise Http404 from None
    if not is_major_master(incident):
        raise Http404
    return TemplateResponse(request, "web/reviews/start.html", {"nav": "reviews",
                                                                "incident": incident})


def _page(request, review, *, form=None, line_form=None, action_form=None, return_form=None,
          status=200):
    user = request.user
    editable = services.may_edit_review(user=user, review=review)
    authors = selectors.review_authors(review)
    context = {
        "nav": "reviews", "review": review, "incident": review.incident,
        "timeline": selectors.review_timeline(review),
        "actions": selectors.review_actions(review), "authors": authors,
        "editable": editable,
        "may_approve": selectors.may_approve_reviews(user)
        and review.status == ReviewStatus.SUBMITTED and review.submitted_by_id != user.pk,
        "form": form or (ReviewForm.for_review(review, authors) if editable else None),
        "line_form": line_form or LineForm(prefix="line"),
        "action_form": action_form or ReviewActionForm(prefix="action"),
        "return_form": return_form or ReturnForm(prefix="return"), "duration": _duration(review),
    }
    return TemplateResponse(request, "web/reviews/review.html", context, status=status)


def _duration(review) -> str:
    start, end = review.impact_started_at, review.impact_ended_at
    return exports.duration_text(end - start) if start and end else ""


def _apply(request, apply):
    """Run a service; NotPermitted is the 403 page, Conflict a message back on the review."""
    try:
        return apply()
    except NotPermitted:
        raise PermissionDenied from None
    except Conflict as error:
        messages.error(request, error.message)
        return None


@staff_required
@require_POST
def review_start(request, number):
    """Start the review of a declared major incident, prefilled."""
    try:
        incident = selectors.review_incident_get(user=request.user, number=number)
    except NotFound:
        raise Http404 from None
    if _apply(request, lambda: services.review_create(incident=incident, by=request.user)):
        messages.success(request, _("The review is started from what was recorded; complete "
                                    "it and submit it for approval."))
    return redirect("web:review", number=number)


@staff_required
@require_POST
def review_edit(request, number):
    """Save the review's fields (draft)."""
    found = _review_or_404(request, number)
    form = ReviewForm(request.POST)
    if form.is_valid():
        try:
            saved = _apply(request, lambda: services.review_update(
                review=found, by=request.user, data=form.data_for_service()))
        except InvalidInput as error:
            _add_errors(form, error)
        else:
            if saved:
                messages.success(request, _("The review is saved."))
            return redirect("web:review", number=number)
    return _page(request, found, form=form, status=422)


@staff_required
@require_POST
def review_submit(request, number):
    """Hand the review to the approvers; what is missing is shown next to the fields."""
    found = _review_or_404(request, number)
    try:
        done = _apply(request, lambda: services.review_submit(review=found,
                                                                      by=request.user))
    except InvalidInput as error:
        messages.error(request, " ".join([str(error.message), *map(str, error.errors.values())]))
        return _page(request, found, status=422)
    if done:
        messages.success(request, _("The review is submitted for approval."))
    return redirect("web:review", number=number)


@staff_required
@require_POST
def review_approve(request, number):
    """Approve the submitted review: the master incident may now be closed."""
    found = _review_or_404(request, number)
    if _apply(request, lambda: services.review_approve(review=found, by=request.user)):
        messages.success(request, _("The review is approved; %(number)s may now be closed.") % {
            "number": number})
    return redirect("web:review", number=number)


@staff_required
@require_POST
def review_return(request, number):
    """Send the submitted review back to its authors with what to change."""
    found = _review_or_404(request, number)
    form = ReturnForm(request.POST, prefix="return")
    if form.is_valid():
        try:
            if _apply(request, lambda: services.review_return(
                    review=found, by=request.user, reason=form.cleaned_data["reason"])):
                messages.success(request, _("The review is back with its authors."))
            return redirect("web:review", number=number)
        except InvalidInput as error:
            _add_errors(form, error)
    return _page(request, found, return_form=form, status=422)


# ---- timeline and actions ----------------------------------------------------------------

@staff_required
@require_POST
def line_add(request, number):
    """Add a line to the timeline."""
    found = _review_or_404(request, number)
    form = LineForm(request.POST, prefix="line")
    if form.is_valid():
        try:
            _apply(request, lambda: services.timeline_entry_add(
                review=found, by=request.user, **form.cleaned_data))
            return redirect(_anchor(number, "timeline"))
        except InvalidInput as error:
            _add_errors(form, error)
    return _page(request, found, line_form=form, status=422)


@staff_required
@require_POST
def line_edit(request, number, pk):
    """Correct a line of the timeline, or remove it (the "delete" button)."""
    found = _review_or_404(request, number)
    entry = found.timeline.filter(pk=pk).first()
    if entry is None:
        raise Http404
    if "delete" in request.POST:
        _apply(request, lambda: services.timeline_entry_remove(entry=entry,
                                                                       by=request.user))
        return redirect(_anchor(number, "timeline"))
    form = LineForm(request.POST)
    if form.is_valid():
        try:
            _apply(request, lambda: services.timeline_entry_update(
                entry=entry, by=request.user, **form.cleaned_data))
        except InvalidInput as error:
            messages.error(request, " ".join(str(m) for m in error.errors.values()))
    else:
        messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
    return redirect(_anchor(number, "timeline"))


@staff_required
@require_POST
def timeline_refresh(request, number):
    """Add what was recorded since the last generated line."""
    found = _review_or_404(request, number)
    added = _apply(request, lambda: services.review_timeline_refresh(review=found,
                                                                             by=request.user))
    if added is not None:
        messages.success(request, _("%(count)d new lines added to the timeline.") % {
            "count": added})
    return redirect(_anchor(number, "timeline"))


@staff_required
@require_POST
def action_add(request, number):
    """Add a follow-up action with its owner and due date."""
    found = _review_or_404(request, number)
    form = ReviewActionForm(request.POST, prefix="action")
    if form.is_valid():
        try:
            owners = services.users_by_username("owner", [form.cleaned_data["owner"]])
            _apply(request, lambda: services.review_action_add(
                review=found, by=request.user, text=form.cleaned_data["text"], owner=owners[0],
                due_on=form.cleaned_data["due_on"]))
            return redirect(_anchor(number, "actions"))
        except InvalidInput as error:
            _add_errors(form, error)
    return _page(request, found, action_form=form, status=422)


@staff_required
@require_POST
def action_change(request, number, pk):
    """Mark an action done or open again, or remove it (draft)."""
    found = _review_or_404(request, number)
    action = found.actions.filter(pk=pk).first()
    if action is None:
        raise Http404
    if "delete" in request.POST:
        _apply(request, lambda: services.review_action_remove(action=action,
                                                                      by=request.user))
    else:
        done = request.POST.get("done") == "1"
        _apply(request, lambda: services.review_action_done(action=action,
                                                                    by=request.user, done=done))
    return redirect(_anchor(number, "actions"))


def _anchor(number, section) -> str:
    return reverse("web:review", kwargs={"number": number}) + f"#{section}"


# ---- exports -----------------------------------------------------------------------------

@staff_required
def review_print(request, number):
    """The printable document (print CSS), with links to the downloads."""
    return HttpResponse(exports.review_html(_review_or_404(request, number), screen=True))


@staff_required
def review_markdown(request, number):
    """The review as a Markdown file named after the incident."""
    found = _review_or_404(request, number)
    return _download(exports.review_markdown(found).encode(), "text/markdown; charset=utf-8",
                     exports.review_filename(found, "md"))


@staff_required
def review_pdf(request, number):
    """The review as a PDF file named after the incident."""
    found = _review_or_404(request, number)
    return _download(exports.review_pdf(found), "application/pdf",
                     exports.review_filename(found, "pdf"))


def _download(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
