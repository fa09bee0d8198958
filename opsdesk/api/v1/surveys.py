"""REST API: satisfaction surveys: settings and questions (process owners), responses, figures
and follow-ups (process owners, incident managers), and answering by the mail's token (no
sign-in: the token is the credential)."""

from datetime import date, datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import ConfigDict, Field

from opsdesk.accounts.models import SupportGroup
from opsdesk.cmdb.models import Service
from opsdesk.core import lookups
from opsdesk.core.exceptions import InvalidInput, NotFound, NotPermitted
from opsdesk.incidents import selectors as incident_selectors
from opsdesk.reference.models import Category, ClosureCode, Priority, Source
from opsdesk.surveys import selectors, services
from opsdesk.surveys.models import SCORES, AnswerChannel, SurveyQuestion
from opsdesk.surveys.permissions import may_configure_surveys

from .schemas import ERRORS, ErrorOut, Ref

router = Router()
_STRICT = ConfigDict(extra="forbid")
TOKEN_ERRORS = {**ERRORS, 410: ErrorOut}


class SettingsIn(Schema):
    """Fields left out keep their value."""

    model_config = _STRICT
    is_enabled: bool | None = None
    sample_percent: int | None = Field(None, description="0-100")
    delay_minutes: int | None = Field(None, description="After closure, 0-43200")
    expiry_days: int | None = Field(None, description="After the invitation, 1-90")
    low_score_threshold: int | None = Field(None, description="A score at or below it opens a "
                                                              "follow-up; 0 never")
    follow_up_days: int | None = Field(None, description="The follow-up is due within, 1-30")
    closure_codes: list[str] | None = Field(None, max_length=100,
                                            description="Closure codes surveyed; [] every one")
    channels: list[str] | None = Field(None, max_length=100,
                                       description="Source codes surveyed; [] every one")


class SettingsOut(Schema):
    is_enabled: bool
    sample_percent: int
    delay_minutes: int
    expiry_days: int
    low_score_threshold: int
    follow_up_days: int
    closure_codes: list[Ref]
    channels: list[Ref]
    updated_by: str | None
    updated_at: datetime


class QuestionIn(Schema):
    model_config = _STRICT
    text_zh: str | None = Field(None, max_length=300)
    text_en: str | None = Field(None, max_length=300)
    kind: str | None = Field(None, description="score, yes_no or text")
    is_required: bool | None = None
    is_active: bool | None = None
    sort_order: int | None = None


class QuestionOut(Schema):
    id: int
    text_zh: str
    text_en: str
    text: str
    kind: str
    is_required: bool
    is_active: bool
    sort_order: int


class SurveyAnswerOut(Schema):
    question: int
    text: str
    kind: str
    value: str


class FollowUpOut(Schema):
    id: int
    incident: str
    status: str
    score: int | None
    comment: str
    requester: str
    assignee: str | None
    due_at: datetime
    outcome: str
    done_by: str | None
    done_at: datetime | None


class ResponseOut(Schema):
    incident: str
    short_description: str
    closed_at: datetime
    requester: str
    group: Ref | None
    state: str
    score: int | None
    comment: str
    answered_at: datetime | None
    answered_via: str
    answers: list[SurveyAnswerOut]
    follow_up: FollowUpOut | None


class ResponsePage(Schema):
    items: list[ResponseOut]
    total: int
    next_offset: int | None


class FiltersQuery(Schema):
    start: date | None = Field(None, description="Incidents closed on or after (default: 90 "
                                                 "days before the end)")
    end: date | None = Field(None, description="Incidents closed before (default: tomorrow)")
    group: str | None = Field(None, description="Support group code")
    category: str | None = Field(None, description="Category path (with its subcategories)")
    service: str | None = Field(None, description="Service code")
    priority: int | None = Field(None, description="Priority level 1-4")
    channel: str | None = Field(None, description="Source code")


class ResponsesQuery(FiltersQuery):
    score: list[int] = Field(default_factory=list, description="Only these scores")
    with_comment: bool = False
    follow_up: str = Field("", description="open, done or none")
    offset: int = Field(0, ge=0, le=100_000)
    limit: int = Field(50, ge=1, le=200)


class SurveySummaryOut(Schema):
    start: date
    end: date
    responses: int
    mean: float | None
    satisfied_share: float | None = Field(description="满意率: the share of 4-5 answers, 0-1")
    satisfied: int
    asked: int
    response_rate: float | None
    scores: dict[str, int]
    states: dict[str, int]


class FollowUpQuery(Schema):
    status: str = Field("open", description="open or done")
    offset: int = Field(0, ge=0, le=100_000)
    limit: int = Field(50, ge=1, le=200)


class FollowUpPage(Schema):
    items: list[FollowUpOut]
    total: int
    next_offset: int | None


class OutcomeIn(Schema):
    model_config = _STRICT
    outcome: str = Field(max_length=4000, description="What was done for the requester")


class SurveyOut(Schema):
    incident: str
    short_description: str
    state: str
    score: int | None
    comment: str
    expires_at: datetime
    scores: list[int]
    questions: list[QuestionOut]


class AnswerIn(Schema):
    model_config = _STRICT
    score: int = Field(description="1 (very dissatisfied) to 5 (very satisfied)")
    answers: dict[str, str] = Field(default_factory=dict, max_length=50,
                                    description="Question id → \"1\"-\"5\", \"yes\"/\"no\" or text")
    comment: str = Field("", max_length=4000)


# ---- settings and questions ---------------------------------------------------------------------

def _settings_dict(row) -> dict:
    return {"is_enabled": row.is_enabled, "sample_percent": row.sample_percent,
            "delay_minutes": row.delay_minutes, "expiry_days": row.expiry_days,
            "low_score_threshold": row.low_score_threshold,
            "follow_up_days": row.follow_up_days,
            "closure_codes": [{"code": c.code, "name": c.name} for c in row.closure_codes.all()],
            "channels": [{"code": s.code, "name": s.name} for s in row.sources.all()],
            "updated_by": row.updated_by.username if row.updated_by_id else None,
            "updated_at": row.updated_at}


def _require_configure(user) -> None:
    if not may_configure_surveys(user):
        raise NotPermitted(_("Only a process owner may read or change the survey settings."))


@router.get("/settings", response={200: SettingsOut, **ERRORS}, summary="Survey settings")
def survey_settings_read(request):
    """Sampling, delay, expiry, the low-score threshold and what is surveyed."""
    _require_configure(request.auth)
    return _settings_dict(services.survey_settings_get())


@router.put("/settings", response={200: SettingsOut, **ERRORS}, summary="Change survey settings")
def survey_settings_write(request, payload: SettingsIn):
    """Change the fields given (null keeps a value too); unknown closure or source codes are a
    422 naming them."""
    data = {key: value for key, value in payload.dict(exclude_unset=True).items()
            if value is not None}
    errors = {}
    if "closure_codes" in data:
        data["closure_codes"] = _codes(ClosureCode, data["closure_codes"], "closure_codes", errors)
    if "channels" in data:
        data["sources"] = _codes(Source, data.pop("channels"), "channels", errors)
    if errors:
        raise InvalidInput(errors=errors)
    return _settings_dict(services.survey_settings_update(by=request.auth, data=data))


def _codes(model, codes: list[str], name: str, errors: dict) -> list:
    rows = {row.code: row for row in model.objects.filter(code__in=codes)}
    missing = [code for code in codes if code not in rows]
    if missing:
        errors[name] = _("Unknown codes: %(codes)s.") % {"codes": ", ".join(missing)}
    return list(rows.values())


def _question_dict(q) -> dict:
    return {"id": q.pk, "text_zh": q.text_zh, "text_en": q.text_en, "text": q.text,
            "kind": q.kind, "is_required": q.is_required, "is_active": q.is_active,
            "sort_order": q.sort_order}


@router.get("/questions", response={200: list[QuestionOut], **ERRORS},
            summary="Survey questions")
def survey_question_list(request):
    """Every optional question, the inactive ones too."""
    _require_configure(request.auth)
    return [_question_dict(q) for q in SurveyQuestion.objects.all()]


@router.post("/questions", response={201: QuestionOut, **ERRORS}, summary="Add a question")
def survey_question_create(request, payload: QuestionIn):
    """Both texts are required; the kind defaults to a 1-5 score."""
    question = services.question_create(by=request.auth, data=payload.dict(exclude_unset=True))
    return Status(201, _question_dict(question))


@router.patch("/questions/{question_id}", response={200: QuestionOut, **ERRORS},
              summary="Change a question")
def survey_question_update(request, question_id: int, payload: QuestionIn):
    """An answered question keeps its kind (409)."""
    _require_configure(request.auth)
    question = SurveyQuestion.objects.filter(pk=question_id).first()
    if question is None:
        raise NotFound()
    return _question_dict(services.question_update(by=request.auth, question=question,
                                                   data=payload.dict(exclude_unset=True)))


# ---- results ------------------------------------------------------------------------------------

def _filters(query) -> selectors.ResponseFilters:
    errors = {}
    end = query.end or timezone.localdate() + timedelta(days=1)
    start = query.start or end - timedelta(days=90)
    if start >= end:
        errors["end"] = _("The end must be after the start.")
    group = _find(SupportGroup, "code", query.group, "group", errors)
    category = _find(Category, "path", query.category, "category", errors)
    service = _find(Service, "code", query.service, "service", errors)
    priority = _find(Priority, "level", query.priority, "priority", errors)
    channel = _find(Source, "code", query.channel, "channel", errors)
    scores = tuple(getattr(query, "score", ()) or ())
    if any(s not in SCORES for s in scores):
        errors["score"] = _("Scores are from 1 to 5.")
    follow_up = getattr(query, "follow_up", "") or ""
    if follow_up not in ("", "open", "done", "none"):
        errors["follow_up"] = _("Use open, done or none.")
    if errors:
        raise InvalidInput(errors=errors)
    return selectors.ResponseFilters(
        start=start, end=end, group_id=_pk(group), category_id=_pk(category),
        service_id=_pk(service), priority_level=_pk(priority), channel=_pk(channel),
        scores=scores, with_comment=bool(getattr(query, "with_comment", False)),
        follow_up=follow_up)


def _find(model, field: str, value, name: str, errors: dict):
    if value in (None, ""):
        return None
    row = lookups.find(model, field, value)
    if row is None:
        errors[name] = _("Unknown %(name)s: %(value)s.") % {"name": name, "value": value}
    return row


def _pk(row):
    return row.pk if row is not None else None


def _follow_up_dict(f, survey=None) -> dict:
    survey = survey or f.survey
    return {"id": f.pk, "incident": f.incident.number, "status": f.status,
            "score": survey.score, "comment": survey.comment,
            "requester": survey.requester.username,
            "assignee": f.assignee.username if f.assignee_id else None, "due_at": f.due_at,
            "outcome": f.outcome, "done_by": f.done_by.username if f.done_by_id else None,
            "done_at": f.done_at}


def _response_dict(survey, groups: dict) -> dict:
    incident = survey.incident
    group = groups.get(incident.assignment_group_id)
    follow_up = getattr(survey, "follow_up", None)
    return {"incident": incident.number, "short_description": incident.short_description,
            "closed_at": survey.closed_at, "requester": survey.requester.username,
            "group": {"code": group.code, "name": group.name} if group else None,
            "state": survey.state, "score": survey.score, "comment": survey.comment,
            "answered_at": survey.answered_at, "answered_via": survey.answered_via,
            "answers": [{"question": a.question_id, "text": a.question.text,
                         "kind": a.question.kind, "value": a.display}
                        for a in survey.answers.all()],
            "follow_up": _follow_up_dict(follow_up, survey) if follow_up else None}


@router.get("/responses", response={200: ResponsePage, **ERRORS}, summary="Survey responses")
def survey_response_list(request, query: Query[ResponsesQuery]):
    """Answers of the incidents closed in the period, newest closure first (process owners and
    incident managers)."""
    filters = _filters(query)
    rows, total = selectors.survey_response_list(user=request.auth, filters=filters,
                                                 offset=query.offset, limit=query.limit)
    groups = lookups.rows_by_pk(SupportGroup)
    more = query.offset + len(rows) < total
    return {"items": [_response_dict(s, groups) for s in rows], "total": total,
            "next_offset": query.offset + len(rows) if more else None}


@router.get("/summary", response={200: SurveySummaryOut, **ERRORS}, summary="Satisfaction figures")
def survey_summary(request, query: Query[FiltersQuery]):
    """Mean score, 满意率, the response rate and the answers per score for the period."""
    filters = _filters(query)
    funnel = selectors.survey_funnel(user=request.auth, filters=filters)
    summary = selectors.satisfaction_summary(**filters.kpi_kwargs())
    return {"start": filters.start, "end": filters.end, "responses": summary.responses,
            "mean": summary.mean, "satisfied_share": summary.satisfied_share,
            "satisfied": summary.satisfied, "asked": funnel["asked"],
            "response_rate": funnel["response_rate"],
            "scores": {str(s): n for s, n in funnel["scores"]}, "states": funnel["states"]}


@router.get("/follow-ups", response={200: FollowUpPage, **ERRORS},
            summary="Follow-ups of low scores")
def survey_follow_up_list(request, query: Query[FollowUpQuery]):
    """Open follow-ups by due date, or the done ones (newest first)."""
    rows, total = selectors.follow_up_list(user=request.auth, status=query.status,
                                           offset=query.offset, limit=query.limit)
    more = query.offset + len(rows) < total
    return {"items": [_follow_up_dict(f) for f in rows], "total": total,
            "next_offset": query.offset + len(rows) if more else None}


@router.post("/follow-ups/{follow_up_id}/take", response={200: FollowUpOut, **ERRORS},
             summary="Take a follow-up")
def survey_follow_up_take(request, follow_up_id: int):
    """The calling incident manager takes the follow-up."""
    item = selectors.follow_up_get(user=request.auth, pk=follow_up_id)
    return _follow_up_dict(services.follow_up_take(follow_up=item, by=request.auth))


@router.post("/follow-ups/{follow_up_id}/done", response={200: FollowUpOut, **ERRORS},
             summary="Close a follow-up")
def survey_follow_up_done(request, follow_up_id: int, payload: OutcomeIn):
    """Record what was done for the requester and close the loop."""
    item = selectors.follow_up_get(user=request.auth, pk=follow_up_id)
    return _follow_up_dict(services.follow_up_done(follow_up=item, by=request.auth,
                                                   outcome=payload.outcome))


# ---- answering by token -------------------------------------------------------------------------

def _survey_dict(survey) -> dict:
    return {"incident": survey.incident.number,
            "short_description": survey.incident.short_description, "state": survey.state,
            "score": survey.score, "comment": survey.comment, "expires_at": survey.expires_at,
            "scores": list(SCORES),
            "questions": [_question_dict(q) for q in SurveyQuestion.objects.filter(
                is_active=True)]}


def _refused(refused: services.TokenRefused):
    return Status(refused.status, {"detail": str(refused), "errors": {}})


@router.get("/answer/{token}", auth=None, response={200: SurveyOut, **TOKEN_ERRORS},
            summary="The survey of a mail token")
def survey_by_token(request, token: str):
    """What the survey asks; 404 not a valid token, 409 already answered, 410 expired."""
    try:
        return _survey_dict(services.survey_by_token(token=token))
    except services.TokenRefused as refused:
        return _refused(refused)


@router.post("/answer/{token}", auth=None, response={200: SurveyOut, **TOKEN_ERRORS},
             summary="Answer a survey by its mail token")
def survey_answer_by_token(request, token: str, payload: AnswerIn):
    """The whole answer, final: the token is spent. Errors as for GET, and 422 per field
    (score, q<id>, comment)."""
    data = services.AnswerInput(score=payload.score, answers=payload.answers,
                                comment=payload.comment)
    try:
        return _survey_dict(services.survey_answer_by_token(token=token, data=data))
    except services.TokenRefused as refused:
        return _refused(refused)


@router.post("/incidents/{number}", response={200: SurveyOut, **TOKEN_ERRORS},
             summary="Answer my incident's survey")
def survey_answer_mine(request, number: str, payload: AnswerIn):
    """The signed-in requester answers the survey of their closed incident."""
    incident = incident_selectors.incident_get(user=request.auth, number=number)
    data = services.AnswerInput(score=payload.score, answers=payload.answers,
                                comment=payload.comment)
    try:
        survey = services.survey_answer_by_requester(user=request.auth, incident=incident,
                                                     data=data, via=AnswerChannel.API)
    except services.TokenRefused as refused:
        return _refused(refused)
    return _survey_dict(survey)
