"""Read-only endpoints for reference data, the CMDB, people and support groups.

(Vendors are listed by the vendors router, `GET /vendors`, with the same `code` and `name`.)"""

from django.db.models import Q
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from pydantic import Field

from opsdesk.accounts.models import Location, Organisation, SupportGroup, User
from opsdesk.cmdb.models import CIType, ConfigurationItem, Service
from opsdesk.core.exceptions import NotFound, NotPermitted
from opsdesk.incidents.services.relations import user_is_staff
from opsdesk.reference.models import (Category, ClosureCode, Impact, Nature, PendingReason,
                                      Priority, PriorityMatrixCell, ResolutionCode, Source,
                                      Urgency)

from .schemas import ERRORS, Ref, ref

router = Router()


class CodeOut(Schema):
    code: str
    name: str
    name_zh: str
    name_en: str
    is_active: bool = True
    description: str = ""


class MatrixCellOut(Schema):
    impact: int
    urgency: int
    priority: int


class CategoryOut(CodeOut):
    parent: str | None


class ServiceOut(CodeOut):
    owner_group: Ref | None


class CIOut(Schema):
    name: str
    type: Ref
    owner_group: Ref | None
    services: list[str]
    is_active: bool


class GroupOut(CodeOut):
    line: int
    escalation_group: str | None
    members: list[Ref] | None = None


class UserOut(Schema):
    username: str
    name: str
    email: str
    phone: str
    department: Ref | None
    roles: list[str]
    support_groups: list[str] | None = None


class UserQuery(Schema):
    q: str | None = Field(None, max_length=100, description="Part of a username, name, email or phone")
    limit: int = Field(20, ge=1, le=100)


def _code(obj, code=None, description="") -> dict:
    return {"code": str(code if code is not None else obj.pk), "name": obj.name,
            "name_zh": obj.name_zh, "name_en": obj.name_en,
            "is_active": getattr(obj, "is_active", True), "description": description}


CODE_TABLES = {
    "sources": Source, "natures": Nature, "closure-codes": ClosureCode,
    "resolution-codes": ResolutionCode, "pending-reasons": PendingReason, "ci-types": CIType,
}
LEVEL_TABLES = {"urgencies": Urgency, "impacts": Impact, "priorities": Priority}


@router.get("reference/{table}", response={200: list[CodeOut], **ERRORS},
            summary="A code table")
def code_table(request, table: str):
    """urgencies, impacts, priorities, sources, natures, closure-codes, resolution-codes,
    pending-reasons or ci-types, with Chinese and English labels."""
    if table in LEVEL_TABLES:
        return [_code(o, o.level, o.description_zh if o.name == o.name_zh else o.description_en)
                for o in LEVEL_TABLES[table].objects.all()]
    if table in CODE_TABLES:
        return [_code(o) for o in CODE_TABLES[table].objects.all()]
    raise NotFound(_("No code table “%(table)s”. Tables: %(tables)s.") % {
        "table": table, "tables": ", ".join([*LEVEL_TABLES, *CODE_TABLES])})


@router.get("priority-matrix", response={200: list[MatrixCellOut], **ERRORS})
def priority_matrix(request):
    """Every impact × urgency cell and its priority."""
    return [{"impact": c.impact_id, "urgency": c.urgency_id, "priority": c.priority_id}
            for c in PriorityMatrixCell.objects.all()]


@router.get("categories", response={200: list[CategoryOut], **ERRORS})
def categories(request):
    """The category tree, in path order; `code` is the path used by incidents."""
    return [{**_code(c, c.path), "parent": c.parent.path if c.parent_id else None}
            for c in Category.objects.select_related("parent")]


@router.get("services", response={200: list[ServiceOut], **ERRORS})
def services(request):
    return [{**_code(s, s.code, s.description), "owner_group": ref(s.owner_group)}
            for s in Service.objects.select_related("owner_group")]


@router.get("configuration-items", response={200: list[CIOut], **ERRORS})
def configuration_items(request, service: str | None = None):
    """Configuration items, optionally only those used by a service (code)."""
    qs = ConfigurationItem.objects.select_related("ci_type", "owner_group").prefetch_related(
        "services")
    if service:
        qs = qs.filter(services__code=service)
    return [{"name": ci.name, "type": ref(ci.ci_type), "owner_group": ref(ci.owner_group),
             "services": [s.code for s in ci.services.all()], "is_active": ci.is_active}
            for ci in qs]


@router.get("locations", response={200: list[CodeOut], **ERRORS})
def locations(request):
    return [_code(o, o.code, o.address) for o in Location.objects.all()]


@router.get("organisations", response={200: list[CategoryOut], **ERRORS})
def organisations(request):
    """Organisations and departments; `parent` is the parent's code."""
    return [{**_code(o, o.code), "parent": o.parent.code if o.parent_id else None}
            for o in Organisation.objects.select_related("parent")]


@router.get("groups", response={200: list[GroupOut], **ERRORS})
def groups(request):
    """Support groups with their line; members are listed for support staff."""
    staff = user_is_staff(request.auth)
    qs = SupportGroup.objects.select_related("escalation_group")
    if staff:
        qs = qs.prefetch_related("members")
    return [_group(g, members=staff) for g in qs]


def _group(group, *, members: bool) -> dict:
    data = {**_code(group, group.code), "line": group.line,
            "escalation_group": group.escalation_group.code if group.escalation_group_id else None}
    if members:
        data["members"] = [ref(u) for u in group.members.all()]
    return data


@router.get("users/me", response={200: UserOut, **ERRORS})
def me(request):
    """The signed-in person, their roles and groups."""
    return _user(request.auth)


@router.get("users", response={200: list[UserOut], **ERRORS})
def users(request, query: Query[UserQuery]):
    """Look up people (type-ahead for the requester field); for support staff only."""
    if not user_is_staff(request.auth):
        raise NotPermitted(_("Only support staff may look people up."))
    qs = User.objects.filter(is_active=True).select_related("department").prefetch_related(
        "support_groups").order_by("username")
    if query.q:
        text = query.q.strip()
        qs = qs.filter(Q(username__icontains=text) | Q(display_name__icontains=text)
                       | Q(first_name__icontains=text) | Q(last_name__icontains=text)
                       | Q(email__icontains=text) | Q(phone__icontains=text))
    return [_user(u) for u in qs[: query.limit]]


def _user(user) -> dict:
    return {"username": user.username, "name": user.label, "email": user.email,
            "phone": user.phone, "department": ref(user.department),
            "roles": sorted(user.roles),
            "support_groups": [g.code for g in user.support_groups.all()]}
