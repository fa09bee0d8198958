"""Attaching an incident's related records without joins: codes from memory, people in one query."""

from django.contrib.auth import get_user_model

from opsdesk.accounts.models import Location, Organisation, SupportGroup
from opsdesk.cmdb.models import Service
from opsdesk.core import lookups
from opsdesk.reference.models import (Category, ClosureCode, Impact, Nature, PendingReason,
                                      Priority, ResolutionCode, Source, Urgency)
from opsdesk.vendors.models import Vendor

from .models import Incident

# Small tables kept in memory (core.lookups), by incident field.
CACHED_RELATIONS = {
    "source": Source, "nature": Nature, "category": Category, "service": Service,
    "impact": Impact, "urgency": Urgency, "priority": Priority, "location": Location,
    "pending_reason": PendingReason, "resolution_code": ResolutionCode,
    "closure_code": ClosureCode, "vendor": Vendor, "assignment_group": SupportGroup,
    "requester_department": Organisation,
}
PEOPLE = ("requester", "owner", "assignee", "created_by")
LINKS = ("duplicate_of", "parent")


def incidents_attach_related(rows: list[Incident]) -> list[Incident]:
    """Fill every foreign key of rows: at most two queries, whatever the number of rows."""
    for field, model in CACHED_RELATIONS.items():
        for row in rows:
            pk = getattr(row, f"{field}_id")
            if pk is not None:
                setattr(row, field, lookups.lookup(model, pk))
    _attach(rows, PEOPLE, get_user_model()._default_manager)
    _attach(rows, LINKS, Incident.objects.only("id", "number"))
    return rows


def _attach(rows, fields, queryset) -> None:
    """Load the rows' targets of these foreign keys in one query, skipping those already held
    (a just-created incident holds its requester and creator)."""
    missing = [(row, field) for row in rows for field in fields
               if getattr(row, f"{field}_id") is not None
               and not Incident._meta.get_field(field).is_cached(row)]
    ids = {getattr(row, f"{field}_id") for row, field in missing}
    found = queryset.in_bulk(ids) if ids else {}
    for row, field in missing:
        setattr(row, field, found[getattr(row, f"{field}_id")])
