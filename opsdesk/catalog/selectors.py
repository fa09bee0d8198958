"""Reading the catalogue and the requests: what a person may order, a request's details, and
the approvals waiting for someone."""

from django.db.models import Prefetch, Q
from django.utils.translation import gettext as _

from opsdesk.accounts.models import Organisation
from opsdesk.core import lookups
from opsdesk.core.exceptions import NotFound
from opsdesk.incidents.choices import Status
from opsdesk.incidents.models import Incident

from .models import ApprovalState, RequestField, RequestType, ServiceRequest

APPROVALS_LIMIT = 200
NATURE_SERVICE_REQUEST = "02"


def organisation_chain(department_id: int | None) -> list[int]:
    """The department and the organisations above it, nearest first (from memory)."""
    chain, rows = [], lookups.rows_by_pk(Organisation)
    while department_id is not None and department_id in rows and department_id not in chain:
        chain.append(department_id)
        department_id = rows[department_id].parent_id
    return chain


def may_order(*, user, request_type: RequestType) -> bool:
    """Whether the type is offered to this person: everyone, or their organisation is named."""
    audience = {org.pk for org in request_type.audience.all()}
    return not audience or bool(audience & set(organisation_chain(user.department_id)))


def request_type_list(*, user, text: str = "") -> list[RequestType]:
    """The active types this person may order, by category then sort order; `text` searches
    names and descriptions in both languages. Two queries (types, their audiences)."""
    types = (RequestType.objects.filter(is_active=True).select_related("category")
             .prefetch_related("audience").order_by("sort_order", "code"))
    text = text.strip()[:100]
    if text:
        types = types.filter(Q(name_zh__icontains=text) | Q(name_en__icontains=text)
                             | Q(description_zh__icontains=text)
                             | Q(description_en__icontains=text) | Q(code__icontains=text))
    return [t for t in types if may_order(user=user, request_type=t)]


def request_type_get(*, user, code: str, with_fields: bool = True) -> RequestType:
    """An active type this person may order, with its fields; NotFound otherwise."""
    types = RequestType.objects.filter(is_active=True, code=code).select_related(
        "category", "service", "fulfilment_group", "sla_policy").prefetch_related("audience")
    if with_fields:
        types = types.prefetch_related(Prefetch("fields", RequestField.objects.order_by(
            "sort_order", "id")))
    request_type = types.first()
    if request_type is None or not may_order(user=user, request_type=request_type):
        raise NotFound(_("There is no request type “%(code)s” you may order.") % {"code": code})
    return request_type


def approver_for(*, user):
    """Who approves this person's requests: their manager, else the head of their department
    or of the nearest organisation above it; never the person themself. None if nobody."""
    manager = user.manager if user.manager_id else None
    if manager is not None and manager.is_active and manager.pk != user.pk:
        return manager
    rows = lookups.rows_by_pk(Organisation)
    for org_id in organisation_chain(user.department_id):
        head_id = rows[org_id].head_id
        if head_id and head_id != user.pk:
            from opsdesk.accounts.models import User

            head = User.objects.filter(pk=head_id, is_active=True).first()
            if head is not None:
                return head
    return None


def request_details(*, incident: Incident) -> ServiceRequest | None:
    """The request behind a visible incident (type and approver included), or None."""
    return (ServiceRequest.objects.select_related("request_type", "approver")
            .filter(incident_id=incident.pk).first())


def request_get(*, user, number: str) -> ServiceRequest:
    """A request the person may see, by its number; NotFound otherwise (no leak)."""
    details = (ServiceRequest.objects.select_related("request_type", "approver", "incident",
                                                     "incident__requester")
               .filter(incident__in=Incident.objects.restrict(user).filter(number=number))
               .first())
    if details is None:
        raise NotFound(_("Service request %(number)s was not found.") % {"number": number})
    return details


def approvals_pending(*, user, limit: int = APPROVALS_LIMIT) -> list[ServiceRequest]:
    """Requests awaiting this person's decision, oldest first (one query)."""
    return list(ServiceRequest.objects.filter(
        approver=user, approval_state=ApprovalState.PENDING,
        incident__status=Status.PENDING).select_related(
        "request_type", "approver", "incident", "incident__requester").order_by("created_at", "pk")[:limit])


def approvals_waiting_count(*, user) -> int:
    """How many requests await this person's decision (for a badge; one indexed count)."""
    if user is None or not user.is_authenticated:
        return 0
    return ServiceRequest.objects.filter(approver=user, approval_state=ApprovalState.PENDING,
                                         incident__status=Status.PENDING).count()


def request_sla_policy(incident):
    """The SLA policy a service request keeps (the engine's chooser, registered in apps.py).

    Awaiting approval: None, no clocks (approving starts them). A type with its own policy:
    the policy its clocks started on, whatever the desk later changes. Anything else: the
    matrix's choice (sla.engine.MATRIX), as for any incident. One query, for requests only."""
    from opsdesk.sla.engine import MATRIX
    from opsdesk.sla.policies import policy_get

    if incident.pk is None or incident.nature_id != NATURE_SERVICE_REQUEST:
        return MATRIX
    row = (ServiceRequest.objects.filter(incident_id=incident.pk)
           .values_list("approval_state", "request_type__sla_policy_id").first())
    if row is None:
        return MATRIX
    approval_state, type_policy_id = row
    if approval_state == ApprovalState.PENDING:
        return None
    if type_policy_id:
        return policy_get(code=incident.sla_policy_id or type_policy_id)
    return MATRIX
