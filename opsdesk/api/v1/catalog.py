"""REST API: the service catalogue, ordering requests, and approving them.

Ordering takes JSON, or multipart/form-data when attachment fields are answered: the answers
as a JSON object in the form field `answers`, each file under its field's key, `requester` and
`contact_phone` as plain form fields. Either way it is one call: the request, its answers and
its files are stored together or not at all."""

import json
from datetime import date, datetime

from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status as HttpStatus
from ninja.errors import ValidationError as RequestInvalid
from pydantic import ConfigDict, Field
from pydantic import ValidationError as SchemaInvalid

from opsdesk.accounts.models import User
from opsdesk.catalog import selectors, services
from opsdesk.catalog.models import FieldKind, parse_options
from opsdesk.core.exceptions import InvalidInput
from opsdesk.incidents import selectors as incident_selectors
from opsdesk.incidents.choices import Channel, Status
from opsdesk.incidents.services import request_digest

from .schemas import ERRORS, Ref, ref

router = Router()
_STRICT = ConfigDict(extra="forbid")


class OptionOut(Schema):
    value: str
    label_zh: str
    label_en: str


class FieldOut(Schema):
    key: str
    kind: str = Field(description="text, long_text, choice, date, user, attachment")
    label: str
    label_zh: str
    label_en: str
    help: str
    required: bool
    max_length: int | None
    pattern: str
    options: list[OptionOut]
    min_date: date | None
    max_date: date | None


class RequestTypeOut(Schema):
    code: str
    name: str
    name_zh: str
    name_en: str
    description: str
    icon: str
    category: str | None = Field(description="Category path")
    service: str | None
    needs_approval: bool
    fulfilment_group: Ref
    sla_policy: str | None
    fields: list[FieldOut] | None = None


class TypesQuery(Schema):
    q: str | None = Field(None, max_length=100, description="Words of the name or description")


class OrderIn(Schema):
    model_config = _STRICT

    answers: dict[str, str] = Field(
        default_factory=dict, description="Field key → answer (dates YYYY-MM-DD, people as "
                                          "usernames, choices as option values)")
    requester: str | None = Field(None, description="Username; the desk orders for others")
    contact_phone: str | None = Field(None, max_length=40)


class AnswerOut(Schema):
    key: str
    kind: str
    label_zh: str
    label_en: str
    value: str
    display_zh: str
    display_en: str


class RequestOut(Schema):
    number: str
    request_type: str
    status: str
    short_description: str
    requester: Ref
    answers: list[AnswerOut]
    approval_state: str = Field(description="not_needed, pending, approved, rejected")
    approver: Ref | None
    decided_at: datetime | None
    decision_comment: str
    ordered_at: datetime


class DecisionIn(Schema):
    model_config = _STRICT

    comment: str = Field("", max_length=2000, description="Required to reject")


def _type_dict(request_type, *, with_fields: bool) -> dict:
    data = {"code": request_type.code, "name": request_type.name,
            "name_zh": request_type.name_zh, "name_en": request_type.name_en,
            "description": request_type.description, "icon": request_type.icon,
            "category": request_type.category.path if request_type.category_id else None,
            "service": getattr(request_type.service, "code", None)
            if request_type.service_id else None,
            "needs_approval": request_type.needs_approval,
            "fulfilment_group": {"code": request_type.fulfilment_group.code,
                                 "name": request_type.fulfilment_group.name},
            "sla_policy": request_type.sla_policy_id}
    if with_fields:
        data["fields"] = [_field_dict(f) for f in request_type.active_fields()]
    return data


def _field_dict(request_field) -> dict:
    return {"key": request_field.key, "kind": request_field.kind, "label": request_field.label,
            "label_zh": request_field.label_zh, "label_en": request_field.label_en,
            "help": request_field.help_text, "required": request_field.required,
            "max_length": request_field.max_length, "pattern": request_field.regex,
            "options": [{"value": v, "label_zh": zh, "label_en": en}
                        for v, zh, en in parse_options(request_field.options)]
            if request_field.kind == FieldKind.CHOICE else [],
            "min_date": request_field.min_date, "max_date": request_field.max_date}


def _request_dict(details) -> dict:
    incident = details.incident
    return {"number": incident.number, "request_type": details.request_type.code,
            "status": Status(incident.status).key,
            "short_description": incident.short_description,
            "requester": ref(incident.requester), "answers": details.answers,
            "approval_state": details.approval_state, "approver": ref(details.approver),
            "decided_at": details.decided_at, "decision_comment": details.decision_comment,
            "ordered_at": details.created_at}


@router.get("/request-types", response={200: list[RequestTypeOut], **ERRORS},
            summary="List the request types I may order")
def list_request_types(request, query: Query[TypesQuery]):
    types = selectors.request_type_list(user=request.auth, text=query.q or "")
    _attach_groups(types)
    return [_type_dict(t, with_fields=False) for t in types]


def _attach_groups(types) -> None:
    """Group and service of each type from the in-memory tables: no query per row."""
    from opsdesk.accounts.models import SupportGroup
    from opsdesk.cmdb.models import Service
    from opsdesk.core import lookups

    groups, services_ = lookups.rows_by_pk(SupportGroup), lookups.rows_by_pk(Service)
    for t in types:
        t.fulfilment_group = groups.get(t.fulfilment_group_id) or t.fulfilment_group
        if t.service_id:
            t.service = services_.get(t.service_id) or t.service


@router.get("/request-types/{code}", response={200: RequestTypeOut, **ERRORS},
            summary="A request type with its form fields")
def get_request_type(request, code: str):
    return _type_dict(selectors.request_type_get(user=request.auth, code=code),
                      with_fields=True)


MULTIPART = "multipart/form-data"
ORDER_FORM_FIELDS = frozenset({"answers", "requester", "contact_phone"})
_ORDER_BODY = {"requestBody": {"required": True, "content": {
    "application/json": {"schema": OrderIn.model_json_schema()},
    MULTIPART: {"schema": {"type": "object", "properties": {
        "answers": {"type": "string", "description": "The answers as a JSON object, as in "
                                                     "the JSON body"},
        "requester": {"type": "string"}, "contact_phone": {"type": "string"}},
        "additionalProperties": {"type": "string", "format": "binary",
                                 "description": "A file, named by its attachment field's key"}}}}}}


@router.post("/request-types/{code}/requests", response={201: RequestOut, **ERRORS},
             summary="Order a request", openapi_extra=_ORDER_BODY)
def order_request(request, code: str):
    """Order a request of this type, as JSON, or as multipart/form-data with the files of its
    attachment fields (`answers` a JSON object, each file under its field's key).
    `Idempotency-Key` makes retries safe, as for incidents."""
    key = request.headers.get("Idempotency-Key", "").strip()
    if len(key) > 255:
        raise InvalidInput(errors={"Idempotency-Key": _("Use at most 255 characters.")})
    payload, files = _order_input(request)
    request_type = selectors.request_type_get(user=request.auth, code=code)
    requester = None
    if payload.requester:
        requester = User.objects.filter(username=payload.requester, is_active=True).first()
        if requester is None:
            raise InvalidInput(errors={"requester": _("No active user “%(username)s”.") % {
                "username": payload.requester}})
    described = {"type": code, **payload.dict()}
    if files:  # a retry sends the same files
        described["files"] = {name: [upload.name, upload.size] for name, upload in files.items()}
    digest = request_digest(described)
    try:
        incident, _created = services.request_order(
            by=request.auth, request_type=request_type, answers=payload.answers, files=files,
            requester=requester, channel=Channel.API, contact_phone=payload.contact_phone or "",
            idempotency_key=key, digest=digest)
    except InvalidInput as error:  # answers are named as the body names them
        raise InvalidInput(error.message, errors={
            (k if k in ("request_type", "requester", "Idempotency-Key") else f"answers.{k}"): v
            for k, v in error.errors.items()}) from None
    return HttpStatus(201, _request_dict(selectors.request_get(user=request.auth,
                                                    number=incident.number)))


def _order_input(request) -> tuple[OrderIn, dict]:
    """The order's fields and files, from a JSON body or a multipart form; 422 if unreadable."""
    if request.content_type == MULTIPART:
        data, files = _multipart(request)
    else:
        try:
            data, files = json.loads(request.body or b"{}"), {}
        except (ValueError, UnicodeDecodeError):
            raise RequestInvalid([{"loc": ("body",), "type": "json_invalid"}]) from None
    try:
        return OrderIn.model_validate(data), files
    except SchemaInvalid as error:
        raise RequestInvalid(error.errors(include_url=False)) from None


def _multipart(request) -> tuple[dict, dict]:
    unknown = sorted(set(request.POST) - ORDER_FORM_FIELDS)
    if unknown:
        raise InvalidInput(errors={name: _(
            "Send answers inside the JSON of “answers”; only files go in their own form "
            "fields.") for name in unknown})
    try:
        answers = json.loads(request.POST.get("answers") or "{}")
    except ValueError:
        raise InvalidInput(errors={"answers": _(
            "Send the answers as a JSON object, e.g. {\"start\": \"2026-05-01\"}.")}) from None
    data = {"answers": answers, "requester": request.POST.get("requester") or None,
            "contact_phone": request.POST.get("contact_phone") or None}
    return data, {name: request.FILES[name] for name in request.FILES}


@router.get("/requests/{number}", response={200: RequestOut, **ERRORS},
            summary="A service request's type, answers and approval")
def get_request(request, number: str):
    return _request_dict(selectors.request_get(user=request.auth, number=number))


@router.get("/approvals", response={200: list[RequestOut], **ERRORS},
            summary="Requests awaiting my approval")
def list_approvals(request):
    rows = selectors.approvals_pending(user=request.auth)
    return [_request_dict(details) for details in rows]


@router.post("/requests/{number}/approve", response={200: RequestOut, **ERRORS},
             summary="Approve a request (its approver only)")
def approve_request(request, number: str, payload: DecisionIn | None = None):
    incident = incident_selectors.incident_get(user=request.auth, number=number)
    services.request_approve(incident=incident, by=request.auth,
                             comment=(payload or DecisionIn()).comment, channel=Channel.API)
    return _request_dict(selectors.request_get(user=request.auth, number=number))


@router.post("/requests/{number}/reject", response={200: RequestOut, **ERRORS},
             summary="Reject a request with a reason (its approver only)")
def reject_request(request, number: str, payload: DecisionIn):
    incident = incident_selectors.incident_get(user=request.auth, number=number)
    services.request_reject(incident=incident, by=request.auth, comment=payload.comment,
                            channel=Channel.API)
    return _request_dict(selectors.request_get(user=request.auth, number=number))
