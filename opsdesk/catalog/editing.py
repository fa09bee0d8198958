"""Changes the process owner makes to the catalogue on the settings pages: request types and
the fields of their forms.

Each service checks everything before it writes (the model's own rules, plus the ones below),
raises InvalidInput with a message per field, and writes in one transaction, so a refused
change leaves nothing half-saved. Types are deactivated, never deleted (requests point at
them). A field that a request has answered (`answered`) is only ever deactivated, and keeps its
key and kind: the stored answers name it. A field nobody answered yet may be deleted.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from opsdesk.core.exceptions import Conflict, InvalidInput

from .models import RequestField, RequestType

# Attributes of a type the owner sets (the code only at creation; the audience is a set).
TYPE_FIELDS = ("name_zh", "name_en", "description_zh", "description_en", "icon", "category",
               "service", "fulfilment_group", "needs_approval", "sla_policy", "impact",
               "urgency", "instructions_zh", "instructions_en", "sort_order", "is_active")
# Attributes of a field (its key and kind are fixed once it has been answered).
FIELD_FIELDS = ("key", "kind", "label_zh", "label_en", "help_zh", "help_en", "required",
                "max_length", "regex", "regex_message_zh", "regex_message_en", "options",
                "min_date", "max_date", "in_summary", "is_active")
FIELD_SORT_STEP = 10
# Codes the settings pages use as words of their own links.
RESERVED_CODES = frozenset({"new", "preview"})


@transaction.atomic
def request_type_create(*, code: str, data: dict, audience=()) -> RequestType:
    """Add a request type with its audience (empty: everyone). Raises InvalidInput."""
    code = (code or "").strip()
    if code in RESERVED_CODES:
        raise InvalidInput(errors={"code": _("“%(code)s” is a word of the settings pages; "
                                             "choose another code.") % {"code": code}})
    if RequestType.objects.filter(code=code).exists():
        raise InvalidInput(errors={"code": _("A request type with this code exists already.")})
    request_type = RequestType(code=code)
    _type_save(request_type, data, audience)
    return request_type


@transaction.atomic
def request_type_update(*, request_type: RequestType, data: dict, audience=()) -> RequestType:
    """Change a type's attributes and audience; requests already ordered keep their answers,
    approval and clocks. Raises InvalidInput."""
    request_type = RequestType.objects.select_for_update().get(pk=request_type.pk)
    _type_save(request_type, data, audience)
    return request_type


def request_type_set_active(*, request_type: RequestType, active: bool) -> None:
    """Take a type off the catalogue (its requests go on) or offer it again."""
    request_type.is_active = active
    request_type.save(update_fields=["is_active", "updated_at"])


def _type_save(request_type: RequestType, data: dict, audience) -> None:
    for name in TYPE_FIELDS:
        if name in data:
            setattr(request_type, name, data[name])
    _full_clean(request_type, exclude=["audience"])
    request_type.save()
    request_type.audience.set(list(audience or ()))


@transaction.atomic
def request_field_create(*, request_type: RequestType, data: dict) -> RequestField:
    """Add a question at the end of the type's form. Raises InvalidInput."""
    RequestType.objects.select_for_update().get(pk=request_type.pk)  # one writer per form
    last = request_type.fields.order_by("-sort_order").values_list("sort_order", flat=True)
    request_field = RequestField(request_type=request_type,
                                 sort_order=(last.first() or 0) + FIELD_SORT_STEP)
    _field_save(request_field, data)
    return request_field


@transaction.atomic
def request_field_update(*, request_field: RequestField, data: dict) -> RequestField:
    """Change a question; the key and kind of an answered one stay. Raises InvalidInput."""
    request_field = RequestField.objects.select_for_update().get(pk=request_field.pk)
    if request_field.answered:
        fixed = {name: _("Requests have answered this field; its %(what)s cannot change "
                         "(add a new field and deactivate this one).") % {"what": label}
                 for name, label in (("key", _("key")), ("kind", _("kind")))
                 if name in data and data[name] != getattr(request_field, name)}
        if fixed:
            raise InvalidInput(errors=fixed)
    _field_save(request_field, data)
    return request_field


@transaction.atomic
def request_field_delete(*, request_field: RequestField) -> None:
    """Delete a question nobody answered yet; Conflict for an answered one (deactivate it)."""
    request_field = RequestField.objects.select_for_update().get(pk=request_field.pk)
    if request_field.answered:
        raise Conflict(_("Requests have answered “%(label)s”: it can only be deactivated.") % {
            "label": request_field.label})
    request_field.delete()


@transaction.atomic
def request_fields_reorder(*, request_type: RequestType, field_ids: list[int]) -> None:
    """Put the type's fields in this order (every field of the type, each once)."""
    RequestType.objects.select_for_update().get(pk=request_type.pk)
    fields = {f.pk: f for f in request_type.fields.all()}
    if sorted(field_ids) != sorted(fields):
        raise InvalidInput(errors={"order": _("Name every field of this form once.")})
    for position, pk in enumerate(field_ids, start=1):
        fields[pk].sort_order = position * FIELD_SORT_STEP
    RequestField.objects.bulk_update(fields.values(), ["sort_order"])


def request_field_move(*, request_field: RequestField, up: bool) -> None:
    """Move a question one place up or down in its form (nothing at either end)."""
    ids = list(RequestField.objects.filter(request_type_id=request_field.request_type_id)
               .order_by("sort_order", "id").values_list("id", flat=True))
    at = ids.index(request_field.pk)
    other = at - 1 if up else at + 1
    if 0 <= other < len(ids):
        ids[at], ids[other] = ids[other], ids[at]
        request_fields_reorder(request_type=request_field.request_type, field_ids=ids)


def _field_save(request_field: RequestField, data: dict) -> None:
    for name in FIELD_FIELDS:
        if name in data:
            setattr(request_field, name, data[name])
    clash = RequestField.objects.filter(request_type_id=request_field.request_type_id,
                                        key=request_field.key).exclude(pk=request_field.pk)
    if clash.exists():
        raise InvalidInput(errors={"key": _("This form has a field with this key already.")})
    _full_clean(request_field, exclude=["request_type"])
    request_field.save()


def _full_clean(instance, exclude) -> None:
    try:
        instance.full_clean(exclude=exclude, validate_unique=False,
                            validate_constraints=False)
    except ValidationError as error:
        raise InvalidInput(errors={k: " ".join(v) for k, v in error.message_dict.items()}) \
            from None
