"""Schemas shared by every router."""

from ninja import Schema


class Ref(Schema):
    """A referenced record: its natural key (code, username, level, number) and its label."""

    code: str
    name: str


class ErrorOut(Schema):
    """Every error: a sentence for people and, for bad input, a message per field."""

    detail: str
    errors: dict[str, str] = {}


def ref(obj) -> dict | None:
    """Ref of a record, or None."""
    if obj is None:
        return None
    from opsdesk.incidents.events import natural_key

    name = getattr(obj, "label", None) or getattr(obj, "name", None) or str(obj)
    return {"code": natural_key(obj), "name": str(name)}


ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut,
          422: ErrorOut}
