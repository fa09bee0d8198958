"""Generic helpers shared by services."""

from typing import Any

from django.db import models


def model_update(*, instance: models.Model, data: dict[str, Any], fields: list[str]) -> list[str]:
    """Set the given fields from data on instance; return the names of fields whose value changed.

    Only changed fields are written, with update_fields, so concurrent writers to other columns
    are not overwritten. Callers run full_clean or their own checks before calling this.
    """
    changed = []
    for field in fields:
        if field in data and getattr(instance, field) != data[field]:
            setattr(instance, field, data[field])
            changed.append(field)
    if changed:
        update_fields = list(changed)
        if any(f.name == "updated_at" for f in instance._meta.fields):
            update_fields.append("updated_at")
        instance.save(update_fields=update_fields)
    return changed


def text_clean(value: str | None) -> str:
    """Text as people typed it, with browser line endings (CRLF) made plain newlines."""
    return (value or "").replace("\r\n", "\n").replace("\r", "\n").strip()
