"""Turns the natural keys that people and integrations type (codes, usernames, numbers) into records."""

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db.models import Model
from django.utils.translation import gettext as _

from opsdesk.core import lookups
from opsdesk.core.exceptions import InvalidInput

# field name -> (model label, lookup field)
SINGLE_REFS = {
    "requester": ("accounts.User", "username"),
    "assignee": ("accounts.User", "username"),
    "assignment_group": ("accounts.SupportGroup", "code"),
    "location": ("accounts.Location", "code"),
    "source": ("reference.Source", "code"),
    "nature": ("reference.Nature", "code"),
    "category": ("reference.Category", "path"),
    "service": ("cmdb.Service", "code"),
    "impact": ("reference.Impact", "level"),
    "urgency": ("reference.Urgency", "level"),
    "priority": ("reference.Priority", "level"),
    "pending_reason": ("reference.PendingReason", "code"),
    "resolution_code": ("reference.ResolutionCode", "code"),
    "closure_code": ("reference.ClosureCode", "code"),
    "vendor": ("vendors.Vendor", "name"),
    "duplicate_of": ("incidents.Incident", "number"),
    "parent": ("incidents.Incident", "number"),
}
MULTI_REFS = {
    "configuration_items": ("cmdb.ConfigurationItem", "name"),
    "collaborators": ("accounts.User", "username"),
    "watchers": ("accounts.User", "username"),
}


def resolve_refs(data: dict) -> dict:
    """Return data with every reference replaced by its record; unknown keys raise InvalidInput."""
    resolved, errors = dict(data), {}
    for field, value in data.items():
        if isinstance(value, Model):
            continue  # already a record (from a form's model choice field)
        if value in (None, "") and field in SINGLE_REFS:
            resolved[field] = None
        elif field in SINGLE_REFS:
            resolved[field] = _one(field, value, errors)
        elif field in MULTI_REFS:
            resolved[field] = [obj for v in value or [] if (obj := _one(field, v, errors, MULTI_REFS))]
    if errors:
        raise InvalidInput(errors=errors)
    return resolved


# Small tables read from memory (core.lookups) instead of one query per reference.
CACHED_MODELS = frozenset({
    "reference.Source", "reference.Nature", "reference.Category", "reference.Impact",
    "reference.Urgency", "reference.Priority", "reference.PendingReason",
    "reference.ResolutionCode", "reference.ClosureCode", "cmdb.Service",
    "accounts.SupportGroup", "accounts.Location", "vendors.Vendor",
})


def _one(field, value, errors, table=SINGLE_REFS):
    label, lookup = table[field]
    model = apps.get_model(label)
    try:
        if label in CACHED_MODELS:
            obj = lookups.find(model, lookup, model._meta.get_field(lookup).to_python(value))
        else:
            obj = model._default_manager.filter(**{lookup: value}).first()
    except (ValueError, TypeError, ValidationError):
        obj = None
    if obj is None:
        errors[field] = _("No %(what)s with %(key)s “%(value)s”.") % {
            "what": model._meta.verbose_name, "key": model._meta.get_field(lookup).verbose_name,
            "value": value}
    elif getattr(obj, "is_active", True) is False:
        errors[field] = _("“%(value)s” is no longer in use.") % {"value": value}
        obj = None
    return obj
