"""Loading the default reference data; owner edits are never overwritten."""

from django.db import transaction

from opsdesk.cmdb.models import CIType

from . import defaults
from .models import (Category, ClosureCode, Impact, Nature, PendingReason, Priority,
                     PriorityMatrixCell, ResolutionCode, Source, Urgency)


@transaction.atomic
def reference_load_defaults() -> int:
    """Create every default code, category and matrix cell that is missing; return how many.

    Safe to run on every start: rows that exist (and may have been edited) are left alone.
    """
    created = 0
    for model, rows in ((Urgency, defaults.URGENCIES), (Impact, defaults.IMPACTS),
                        (Priority, defaults.PRIORITIES)):
        for level, zh, en, dzh, den in rows:
            created += _ensure(model, {"level": level}, name_zh=zh, name_en=en,
                               description_zh=dzh, description_en=den)
    for model, rows in ((Source, defaults.SOURCES), (ClosureCode, defaults.CLOSURE_CODES),
                        (ResolutionCode, defaults.RESOLUTION_CODES), (CIType, defaults.CI_TYPES)):
        for order, (code, zh, en) in enumerate(rows):
            created += _ensure(model, {"code": code}, name_zh=zh, name_en=en, sort_order=order)
    for order, (code, zh, en, prefix) in enumerate(defaults.NATURES):
        created += _ensure(Nature, {"code": code}, name_zh=zh, name_en=en, sort_order=order,
                           number_prefix=prefix)
    for order, (code, zh, en, pauses) in enumerate(defaults.PENDING_REASONS):
        created += _ensure(PendingReason, {"code": code}, name_zh=zh, name_en=en,
                           sort_order=order, pauses_sla=pauses)
    created += _load_matrix() + _load_categories()
    from opsdesk.sla.services import calendars_load_defaults  # 7×24, 5×8 and PRC holidays

    return created + calendars_load_defaults()


def _ensure(model, key: dict, **values) -> int:
    _obj, was_created = model.objects.get_or_create(**key, defaults=values)
    return int(was_created)


def _load_matrix() -> int:
    created = 0
    for impact, *_rest in defaults.IMPACTS:
        for urgency, *_rest2 in defaults.URGENCIES:
            created += _ensure(PriorityMatrixCell, {"impact_id": impact, "urgency_id": urgency},
                               priority_id=defaults.itss_priority(impact, urgency))
    return created


def _load_categories() -> int:
    created = 0
    for order, (code, parent_code, zh, en) in enumerate(defaults.CATEGORIES):
        parent = Category.objects.get(path=parent_code) if parent_code else None
        path = f"{parent.path}.{code}" if parent else code
        if not Category.objects.filter(path=path).exists():
            Category.objects.create(code=code, parent=parent, name_zh=zh, name_en=en,
                                    sort_order=order)
            created += 1
    return created
