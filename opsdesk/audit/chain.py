"""Hash chains: canonical JSON of an entry's content, linked to the previous entry by SHA-256.

Each entry stores `prev_hash` (the hash of the entry before it; "" for the first) and `hash`,
the SHA-256 of the canonical JSON of its content with `prev_hash` inside. Changing, removing or
reordering any entry changes what the next entry should have linked to, so the first broken
link names the first entry that was touched.

The content is what the database gives back, not what Python held before the insert, so a
chain verifies on every database: times are UTC ISO-8601 with microseconds, JSON details go
through one encode/decode, and whole-number floats are written as integers (PostgreSQL's jsonb
reads 1e20 back as an integer).
"""

import hashlib
import json
from datetime import UTC, datetime

from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone


def canonical(content: dict) -> bytes:
    """The one byte form of content: sorted keys, no spaces, UTF-8, integral floats as ints."""
    return json.dumps(_plain(content), sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False, allow_nan=False).encode("utf-8")


def link_hash(prev_hash: str, content: dict) -> str:
    """The hash of one entry: SHA-256 over its content and the previous entry's hash."""
    return hashlib.sha256(canonical({**content, "prev": prev_hash})).hexdigest()


def json_roundtrip(value):
    """Value as a JSON column gives it back (tuples become lists, dates become text)."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def time_text(value: datetime | None) -> str | None:
    """A time as hashed: UTC, microseconds, always the same text for the same instant."""
    if value is None:
        return None
    if timezone.is_naive(value):  # stored as Django stores it: in the default time zone
        value = timezone.make_aware(value, timezone.get_default_timezone())
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def _plain(value):
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value
