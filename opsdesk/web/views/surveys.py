"""Satisfaction survey pages: answering (from the mail's links without signing in, or in the
portal), the results and the follow-up queue, and the process owner's settings.

A score link of the mail records nothing on GET: mail scanners ("safe links") open every link
of a mail. It shows the form with that score chosen and a "Send my score" button, which POSTs to
the same link and records the score; the questions and the comment can then follow, and the
score be changed, until the form is sent or the window passes
(opsdesk.surveys.services.answers). Every change goes through opsdesk.surveys.services.
"""

import csv
from datetime import timedelta
from functools import wraps

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_http_methods, require_POST

from opsdesk.accounts.models import SupportGroup
from opsdesk.cmdb.models import Service
from opsdesk.core import lookups
from opsdesk.core.exceptions import Conflict, InvalidInput, NotFound, NotPermitted
from opsdesk.incidents import selectors as incident_selectors
from opsdesk.reference.models import Category, ClosureCode, Priority, Source
from opsdesk.reporting.tables import formula_safe
from opsdesk.surveys import selectors, services
from opsdesk.surveys.models import (SCORE_LABELS, SCORES, AnswerChannel, QuestionKind,
                                    SurveyQuestion, SurveySettings, SurveyState)
from opsdesk.surveys.permissions import may_configure_surveys, may_follow_up, may_view_results

from .. import charts
from .incidents import _add_errors

PAGE_SIZE = 50
CSV_LIMIT = 10_000
DEFAULT_DAYS = 90
# The services' message for a score outside 1–5 (services.answers._score), for the link's GET,
# which checks the score without recording it.
SCORE_OUT_OF_RANGE = _lazy("Choose a score from 1 (very dissatisfied) to 5 (very satisfied).")


def _page(request, template: str, context: dict, *, status: int = 200, nav: str = ""):
    """The page, rendered now: in the language active here (the requester's, for the mail's
    links), not the request's."""
    return TemplateResponse(request, f"web/surveys/{template}", {**context, "nav": nav},
                            status=status).render()


# ---- answering ------------------------------------------------------------------------------

def _answer_context(survey, *, score=None, errors=None, values=None, comment: str = "") -> dict:
    errors, values = errors or {}, values or {}
    rows = [{"question": q, "name": f"q{q.pk}", "error": errors.get(f"q{q.pk}", ""),
             "value": str(values.get(str(q.pk), values.get(q.pk, "")) or "")}
            for q in SurveyQuestion.objects.filter(is_active=True)]
    return {"survey": survey, "incident": survey.incident, "question_rows": rows,
            "scores": [(s, SCORE_LABELS[s]) for s in SCORES],
            "score": str(score if score is not None else (survey.score or "")),
            "errors": errors, "comment": comment or survey.comment,
            "score_kind": QuestionKind.SCORE, "yes_no": QuestionKind.YES_NO}


def _posted(request) -> services.AnswerInput:
    answers = {key[1:]: value for key, value in request.POST.items()
               if key.startswith("q") and key[1:].isdigit()}
    return services.AnswerInput(score=request.POST.get("score"), answers=answers,
                                comment=request.POST.get("comment", ""))


def _refused(request, refused: services.TokenRefused):
    return _page(request, "refused.html", {"message": str(refused)}, status=refused.status)


def _survey_language(survey) -> str:
    """The requester's language if they chose one, else the browser's."""
    return survey.language or survey.requester.language or translation.get_language()


@require_http_methods(["GET", "POST"])
def answer(request, token: str):
    """The survey from the mail (no sign-in): the form on GET, the final answer on POST."""
    try:
        survey = services.survey_by_token(token=token)
    except services.TokenRefused as refused:
        return _refused(request, refused)
    with translation.override(_survey_language(survey)):
        if request.method == "GET":
            return _page(request, "answer.html", {**_answer_context(survey),
                                                  "action": request.path})
        data = _posted(request)
        try:
            survey = services.survey_answer_by_token(token=token, data=data)
        except services.TokenRefused as refused:
            return _refused(request, refused)
        except InvalidInput as error:
            return _page(request, "answer.html", {
                **_answer_context(survey, score=data.score, errors=error.errors,
                                  values=data.answers, comment=data.comment),
                "action": request.path}, status=422)
        return _page(request, "done.html", {"survey": survey, "incident": survey.incident,
                                            "answers": selectors.survey_answers(survey=survey)})


@require_http_methods(["GET", "POST"])
def score(request, token: str, score: int):
    """A score link of the mail: GET shows the form with that score chosen and a button to send
    it (a scanner opening every link records nothing); POST records it and offers the rest."""
    try:
        survey = services.survey_by_token(token=token)
    except services.TokenRefused as refused:
        return _refused(request, refused)
    with translation.override(_survey_language(survey)):
        action = reverse("web:survey_answer", args=[token])
        if score not in SCORES:
            return _page(request, "answer.html", {**_answer_context(survey, errors={
                "score": SCORE_OUT_OF_RANGE}), "action": action}, status=422)
        if request.method == "GET":
            return _page(request, "answer.html", {
                **_answer_context(survey, score=score), "action": action,
                "score_action": request.path, "score_label": SCORE_LABELS[score]})
        try:
            survey = services.survey_score_click(token=token, score=score)
        except services.TokenRefused as refused:
            return _refused(request, refused)
        return _page(request, "answer.html", {**_answer_context(survey), "action": action,
                                              "scored": True})


@login_required
@require_http_methods(["GET", "POST"])
def portal_survey(request, number: str):
    """The signed-in requester's survey of their incident (also before the invitation)."""
    try:
        incident = incident_selectors.incident_get(user=request.user, number=number)
    except NotFound:
        raise Http404 from None
    survey = services.survey_for_requester(user=request.user, incident=incident)
    if survey is None:
        raise Http404
    context = {"portal": True, "action": request.path}
    if survey.state == SurveyState.ANSWERED:
        return _page(request, "done.html", {"survey": survey, "incident": incident,
                                            "answers": selectors.survey_answers(survey=survey),
                                            **context}, nav="portal")
    if not survey.is_open or timezone.now() >= survey.expires_at:
        return _page(request, "refused.html", {"message": _(
            "This survey has expired and can no longer be answered."), **context}, status=410,
            nav="portal")
    if request.method == "GET":
        return _page(request, "answer.html", {**_answer_context(survey, score=_int(
            request.GET.get("score"))), **context}, nav="portal")
    data = _posted(request)
    try:
        survey = services.survey_answer_by_requester(user=request.user, incident=incident,
                                                     data=data, via=AnswerChannel.PORTAL)
    except services.TokenRefused as refused:
        return _refused(request, refused)
    except InvalidInput as error:
        return _page(request, "answer.html", {
            **_answer_context(survey, score=data.score, errors=error.errors,
                              values=data.answers, comment=data.comment), **context},
                     status=422, nav="portal")
    messages.success(request, _("Thank you for your answer."))
    return redirect("web:portal_survey", number=number)


def _int(raw) -> int | None:
    return int(raw) if raw and str(raw).isdigit() else None


# ---- results ----------------------------------------------------------------------------------

def results_required(view):
    """Signed in, and a process owner or incident manager; anyone else gets the 403 page."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not may_view_results(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


class ResultsFilterForm(forms.Form):
    start = forms.DateField(label=_lazy("Closed from"), required=False,
                            widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_lazy("Closed before"), required=False,
                          widget=forms.DateInput(attrs={"type": "date"}))
    group = forms.ModelChoiceField(SupportGroup.objects.order_by("code"), required=False,
                                   label=_lazy("Group"), to_field_name="code")
    category = forms.ModelChoiceField(Category.objects.order_by("path"), required=False,
                                      label=_lazy("Category"), to_field_name="path")
    service = forms.ModelChoiceField(Service.objects.order_by("code"), required=False,
                                     label=_lazy("Service"), to_field_name="code")
    priority = forms.ModelChoiceField(Priority.objects.all(), required=False,
                                      label=_lazy("Priority"))
    channel = forms.ModelChoiceField(Source.objects.all(), required=False,
                                     label=_lazy("Channel"))
    score = forms.TypedMultipleChoiceField(choices=[(s, s) for s in SCORES], coerce=int,
                                           required=False, label=_lazy("Score"),
                                           widget=forms.CheckboxSelectMultiple)
    with_comment = forms.BooleanField(required=False, label=_lazy("With a comment"))
    follow_up = forms.ChoiceField(required=False, label=_lazy("Follow-up"), choices=[
        ("", _lazy("Any")), ("open", _lazy("Open")), ("done", _lazy("Done")),
        ("none", _lazy("None"))])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].label_from_instance = lambda c: c.full_name

    def filters(self) -> selectors.ResponseFilters:
        data = self.cleaned_data
        end = data.get("end") or timezone.localdate() + timedelta(days=1)
        start = data.get("start") or end - timedelta(days=DEFAULT_DAYS)
        return selectors.ResponseFilters(
            start=start, end=end, group_id=_pk(data.get("group")),
            category_id=_pk(data.get("category")), service_id=_pk(data.get("service")),
            priority_level=_pk(data.get("priority")), channel=_pk(data.get("channel")),
            scores=tuple(data.get("score") or ()), with_comment=bool(data.get("with_comment")),
            follow_up=data.get("follow_up") or "")


def _pk(row):
    return row.pk if row is not None else None


@results_required
def results(request):
    """Responses with filters, the period's figures, and a CSV export of the list."""
    form = ResultsFilterForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        return _page(request, "results.html", {"form": form, "rows": []}, status=422,
                     nav="surveys")
    if not form.is_bound:
        form = ResultsFilterForm({})
        form.is_valid()
    filters = form.filters()
    if filters.start >= filters.end:
        form.add_error("end", _("The end must be after the start."))
        return _page(request, "results.html", {"form": form, "rows": []}, status=422,
                     nav="surveys")
    if request.GET.get("format") == "csv":
        rows, _total = selectors.survey_response_list(user=request.user, filters=filters,
                                                      limit=CSV_LIMIT)
        return _results_csv(rows, filters)
    offset = _int(request.GET.get("offset")) or 0
    rows, total = selectors.survey_response_list(user=request.user, filters=filters,
                                                 offset=offset, limit=PAGE_SIZE)
    query = request.GET.copy()
    query.pop("offset", None)
    query.pop("format", None)
    context = {"form": form, "filters": filters, "rows": rows, "total": total,
               "offset": offset, "query": query.urlencode(),
               "next_offset": offset + PAGE_SIZE if offset + PAGE_SIZE < total else None,
               "previous_offset": max(offset - PAGE_SIZE, 0) if offset else None,
               "summary": selectors.satisfaction_summary(**filters.kpi_kwargs()),
               "funnel": selectors.survey_funnel(user=request.user, filters=filters),
               "perms_configure": may_configure_surveys(request.user)}
    groups = lookups.rows_by_pk(SupportGroup)
    for row in rows:  # groups from memory, not a join
        row.group = groups.get(row.incident.assignment_group_id)
    context["score_chart"] = _score_chart(context["funnel"], query)
    context["trend_chart"] = _trend_chart(filters, query)
    return _page(request, "results.html", context, nav="surveys")


SCORE_TONES = {1: "bad", 2: "bad", 3: "neutral", 4: "ok", 5: "ok"}


def _score_chart(funnel: dict, query) -> dict:
    """Answers per score; each bar opens the list of those answers."""
    links = []
    for value, _count in funnel["scores"]:
        narrowed = query.copy()
        narrowed.setlist("score", [str(value)])
        links.append(f"{reverse('web:surveys')}?{narrowed.urlencode()}")
    return charts.bar_chart(
        title=_("Answers by score"), x_title=_("Score"),
        labels=[f"{value} · {SCORE_LABELS[value]}" for value, _count in funnel["scores"]],
        series=[{"name": _("Answers"), "values": [n for _value, n in funnel["scores"]],
                 "links": links, "colors": [charts.TONE_COLOURS[SCORE_TONES[v]]
                                            for v, _n in funnel["scores"]]}])


def _trend_chart(filters, query) -> dict:
    """满意率 per month over the twelve months up to the period's end; each point opens that
    month's answers."""
    start = (filters.end - timedelta(days=1)).replace(day=1)  # the period's last month
    for _month in range(11):
        start = (start - timedelta(days=1)).replace(day=1)
    months = selectors.satisfaction_monthly(**{**filters.kpi_kwargs(), "start": start})
    labels, shares, means, links = [], [], [], []
    for point in months:
        following = (point.month + timedelta(days=32)).replace(day=1)
        narrowed = query.copy()
        narrowed["start"], narrowed["end"] = point.month.isoformat(), following.isoformat()
        labels.append(point.month.strftime("%Y-%m"))
        share = point.summary.satisfied_share
        shares.append(None if share is None else share * 100)
        means.append(point.summary.mean)
        links.append(f"{reverse('web:surveys')}?{narrowed.urlencode()}")
    return charts.line_chart(
        title=_("Satisfied (4–5) by month of closure"), labels=labels, unit="%",
        x_title=_("Month"), series=[{"name": _("Satisfied"), "values": shares, "links": links,
                                     "color": charts.TONE_COLOURS["ok"]}])


def _results_csv(rows, filters) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (f'attachment; filename="satisfaction-{filters.start}-'
                                       f'{filters.end}.csv"')
    response.write("\ufeff")  # Excel reads UTF-8 (Chinese text) only with the BOM
    writer = csv.writer(response)
    writer.writerow([_("Incident"), _("Short description"), _("Closed"), _("Requester"),
                     _("Group"), _("Score"), _("Comment"), _("Answers"), _("Follow-up")])
    groups = lookups.rows_by_pk(SupportGroup)
    for survey in rows:
        incident = survey.incident
        group = groups.get(incident.assignment_group_id)
        follow_up = getattr(survey, "follow_up", None)
        answers = "; ".join(f"{a.question.text}: {a.display}" for a in survey.answers.all())
        writer.writerow([incident.number, _csv_safe(incident.short_description),
                         timezone.localtime(survey.closed_at).strftime("%Y-%m-%d %H:%M"),
                         _csv_safe(survey.requester.label), _csv_safe(group.name if group else ""),
                         survey.score, _csv_safe(survey.comment), _csv_safe(answers),
                         follow_up.get_status_display() if follow_up else ""])
    return response


def _csv_safe(text: str) -> str:
    """A cell a spreadsheet will not run as a formula (full-width ＝＋－＠ too: reporting/tables)."""
    return formula_safe(str(text or ""))


# ---- follow-ups -------------------------------------------------------------------------------

@results_required
def follow_ups(request):
    """The follow-up queue: open ones by due date, or the done ones."""
    status = "done" if request.GET.get("status") == "done" else "open"
    rows, total = selectors.follow_up_list(user=request.user, status=status, limit=200)
    return _page(request, "follow_ups.html", {"rows": rows, "total": total, "status": status,
                                              "now": timezone.now(),
                                              "may_act": may_follow_up(request.user)},
                 nav="surveys")


class OutcomeForm(forms.Form):
    outcome = forms.CharField(label=_lazy("What was done"), widget=forms.Textarea(
        attrs={"rows": 4}), max_length=4000,
        help_text=_lazy("Whom you spoke to, what you learnt and what was agreed."))


@login_required
def follow_up(request, pk: int):
    """One follow-up: the answer behind it, take it, record what was done."""
    try:
        item = selectors.follow_up_get(user=request.user, pk=pk)
    except NotFound:
        raise Http404 from None
    return _follow_up_page(request, item, OutcomeForm())


def _follow_up_page(request, item, form, *, status: int = 200):
    return _page(request, "follow_up.html", {
        "item": item, "survey": item.survey, "form": form, "may_act": may_follow_up(
            request.user), "answers": selectors.survey_answers(survey=item.survey),
        "now": timezone.now()}, status=status, nav="surveys")


@login_required
@require_POST
def follow_up_take(request, pk: int):
    try:
        item = selectors.follow_up_get(user=request.user, pk=pk)
        services.follow_up_take(follow_up=item, by=request.user)
    except NotFound:
        raise Http404 from None
    except NotPermitted:
        raise PermissionDenied from None
    except Conflict as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("You took the follow-up."))
    return redirect("web:survey_follow_up", pk=pk)


@login_required
@require_POST
def follow_up_done(request, pk: int):
    try:
        item = selectors.follow_up_get(user=request.user, pk=pk)
    except NotFound:
        raise Http404 from None
    form = OutcomeForm(request.POST)
    if form.is_valid():
        try:
            services.follow_up_done(follow_up=item, by=request.user,
                                    outcome=form.cleaned_data["outcome"])
        except NotPermitted:
            raise PermissionDenied from None
        except InvalidInput as error:
            _add_errors(form, error)
        except Conflict as error:
            messages.error(request, error.message)
            return redirect("web:survey_follow_up", pk=pk)
        else:
            messages.success(request, _("The follow-up is done."))
            return redirect("web:survey_follow_up", pk=pk)
    return _follow_up_page(request, item, form, status=422)


# ---- settings ---------------------------------------------------------------------------------

def configurator_required(view):
    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not may_configure_surveys(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


class SettingsForm(forms.ModelForm):
    closure_codes = forms.ModelMultipleChoiceField(
        ClosureCode.objects.filter(is_active=True), required=False,
        widget=forms.CheckboxSelectMultiple, label=_lazy("Closure codes surveyed"),
        help_text=_lazy("None ticked: every closure code."))
    sources = forms.ModelMultipleChoiceField(
        Source.objects.filter(is_active=True), required=False,
        widget=forms.CheckboxSelectMultiple, label=_lazy("Channels surveyed"),
        help_text=_lazy("None ticked: every channel."))

    class Meta:
        model = SurveySettings
        fields = ("is_enabled", "sample_percent", "delay_minutes", "expiry_days",
                  "low_score_threshold", "follow_up_days", "closure_codes", "sources")


class QuestionForm(forms.ModelForm):
    class Meta:
        model = SurveyQuestion
        fields = ("text_zh", "text_en", "kind", "is_required", "is_active", "sort_order")


@configurator_required
def settings_page(request):
    """The survey settings and the optional questions."""
    row = services.survey_settings_get()
    form = SettingsForm(request.POST or None, instance=row)
    if request.method == "POST" and form.is_valid():
        try:
            services.survey_settings_update(by=request.user, data=form.cleaned_data)
        except InvalidInput as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("The survey settings are saved."))
            return redirect("web:settings-surveys")
    return _page(request, "settings.html", {"form": form, "row": row,
                                            "questions": SurveyQuestion.objects.all()},
                 status=422 if form.is_bound else 200, nav="settings")


@configurator_required
def question_edit(request, pk: int | None = None):
    """Add a question, or change one (an answered question keeps its kind)."""
    question = SurveyQuestion.objects.filter(pk=pk).first() if pk else None
    if pk and question is None:
        raise Http404
    form = QuestionForm(request.POST or None, instance=question)
    if request.method == "POST" and form.is_valid():
        try:
            if question is None:
                services.question_create(by=request.user, data=form.cleaned_data)
            else:
                services.question_update(by=request.user, question=question,
                                         data=form.cleaned_data)
        except (InvalidInput, Conflict) as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("The question is saved."))
            return redirect("web:settings-surveys")
    return _page(request, "question.html", {"form": form, "question": question},
                 status=422 if form.is_bound else 200, nav="settings")
