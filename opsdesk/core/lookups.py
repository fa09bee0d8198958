"""An in-process cache of small, rarely edited tables: code tables, groups, services, sites.

Lists attach these rows to incidents from memory instead of joining twenty tables, which made
PostgreSQL spend up to two seconds planning each list (docs/performance.md). Rows are reloaded
every TTL_SECONDS, and at once when a key is missing, so a new code is usable immediately and a
renamed label shows within the TTL. Primary keys of these tables are never reused: rows are
deactivated, not deleted.
"""

import threading
import time

TTL_SECONDS = 30
_lock = threading.Lock()
_tables: dict[str, tuple[float, dict]] = {}


def rows_by_pk(model, *, refresh: bool = False) -> dict:
    """Every row of model by primary key, with `parent` links resolved from the same table."""
    label = model._meta.label
    entry = _tables.get(label)
    if refresh or entry is None or time.monotonic() - entry[0] > TTL_SECONDS:
        rows = {obj.pk: obj for obj in model._default_manager.all()}
        if any(f.name == "parent" for f in model._meta.fields):
            for obj in rows.values():
                if obj.parent_id is not None and obj.parent_id in rows:
                    obj.parent = rows[obj.parent_id]
        with _lock:
            _tables[label] = (time.monotonic(), rows)
        return rows
    return entry[1]


def lookup(model, pk):
    """The row with this primary key (reloading the table once if it is new), or None."""
    rows = rows_by_pk(model)
    if pk not in rows:
        rows = rows_by_pk(model, refresh=True)
    return rows.get(pk)


def find(model, field: str, value):
    """The row whose `field` equals value (reloading the table once if none does), or None."""
    for refresh in (False, True):
        rows = rows_by_pk(model, refresh=refresh)
        match = rows.get(value) if field == model._meta.pk.name else next(
            (row for row in rows.values() if getattr(row, field) == value), None)
        if match is not None:
            return match
    return None


def forget(model) -> None:
    """Drop one table, after it was edited in this process (other processes follow the TTL)."""
    with _lock:
        _tables.pop(model._meta.label, None)


def clear() -> None:
    """Forget everything (tests call this between tests, whose rows roll back)."""
    with _lock:
        _tables.clear()
