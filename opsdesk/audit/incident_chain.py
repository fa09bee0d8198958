"""The incident history's hash chains: one chain per incident, in `seq` order (1, 2, 3 …).

IncidentEvent.save() links every new entry (`event_link`). The previous entry is read while
the incident's row is locked: every service that writes history takes that lock first
(select_for_update), and `incident_create` writes into a row no one else can see yet. A
writer that forgot the lock meets the unique (incident, seq) constraint instead of forking
the chain. The "created" entry opens a chain, so it needs no read at all: an API create pays
no query for it.

The incident row anchors the chain's end: `history_seq` and `history_hash` are the seq and
hash of its last entry (`head_move`, one UPDATE after each entry, under the same lock). A
verifier compares the last entry with them, so removing entries from the end of a history is
detected like any other break. Incident.save() never writes these two columns.

Bulk writers (the benchmark's seeding) link their rows with `events_chain` before inserting
and set the heads with `heads_of`; `chains_backfill` links the rows written before chains
existed (migration 0010 runs it) and `heads_backfill` anchors them (migration 0011).
Nothing here imports the incidents app at load time (its models import this module).
"""

from django.db import models
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from . import chain

CREATED = "created"
BATCH_INCIDENTS = 500


def event_content(event) -> dict:
    """What an entry's hash covers: every column but its id and the hashes themselves."""
    return {
        "incident": event.incident_id, "seq": event.seq, "kind": str(event.kind),
        "actor": event.actor_id, "channel": str(event.channel), "at": chain.time_text(event.at),
        "field": str(event.field), "old": str(event.old_value), "new": str(event.new_value),
        "action": str(event.action), "from": _int(event.from_status),
        "to": _int(event.to_status), "internal": bool(event.is_internal), "data": event.data,
    }


def event_link(event) -> None:
    """Give a new entry its place after the incident's last entry (row locked by the caller)."""
    last = None
    if str(event.kind) != CREATED:
        last = (type(event)._base_manager.filter(incident_id=event.incident_id)
                .order_by("-seq").values_list("seq", "hash").first())
    _link(event, *(last or (0, "")))


def head_move(event) -> None:
    """Anchor the chain's new end on the incident row (and on the instance the entry holds)."""
    incident_model = type(event)._meta.get_field("incident").related_model
    incident_model._base_manager.filter(pk=event.incident_id).update(
        history_seq=event.seq, history_hash=event.hash)
    held = event._state.fields_cache.get("incident")
    if held is not None:
        held.history_seq, held.history_hash = event.seq, event.hash


def heads_of(events: list) -> dict[int, tuple[int, str]]:
    """Each incident's chain end after linked `events`: {incident id: (seq, hash)}."""
    heads: dict[int, tuple[int, str]] = {}
    for event in events:
        if event.seq > heads.get(event.incident_id, (0, ""))[0]:
            heads[event.incident_id] = (event.seq, event.hash)
    return heads


def heads_backfill(incident_model, event_model, *, batch: int = 20_000) -> int:
    """Set every incident's head from its last entry, a range of ids at a time; returns how
    many incidents have history. One UPDATE with two correlated subqueries per batch (the
    (incident, seq) unique index answers each), portable to all three databases.
    """
    incidents = models.QuerySet(model=incident_model)
    last = (models.QuerySet(model=event_model).filter(incident_id=OuterRef("pk"))
            .order_by("-seq"))
    top = incidents.order_by("-pk").values_list("pk", flat=True).first() or 0
    done = 0
    for start in range(0, top, batch):
        rows = incidents.filter(pk__gt=start, pk__lte=start + batch,
                                pk__in=models.QuerySet(model=event_model).values("incident_id"))
        done += rows.update(history_seq=Subquery(last.values("seq")[:1]),
                            history_hash=Subquery(last.values("hash")[:1]))
    return done


def events_chain(events: list) -> list:
    """Link unsaved entries for a bulk insert, each incident's in list order; returns them.

    Incidents that already have history continue their chains (one query for all of them).
    """
    heads = _heads(type(events[0]), {e.incident_id for e in events}) if events else {}
    for event in events:
        seq, prev = heads.get(event.incident_id, (0, ""))
        _link(event, seq, prev)
        heads[event.incident_id] = (event.seq, event.hash)
    return events


def chains_backfill(model, *, batch: int = BATCH_INCIDENTS) -> int:
    """Link every unlinked entry after its incident's linked ones, in (time, id) order;
    returns how many it linked.

    Works a batch of incidents at a time (bounded memory at millions of entries), on any
    database. It is the one writer that changes existing rows, so it goes around the
    append-only manager; the migration passes its historical model (no model methods).
    """
    rows_of = models.QuerySet(model=model)
    done, after = 0, 0
    while ids := _next_incidents(rows_of, after=after, batch=batch):
        rows = sorted(rows_of.filter(incident_id__in=ids), key=_backfill_order)
        heads: dict[int, tuple[int, str]] = {}
        changed = []
        for event in rows:
            if not event.hash:
                _link(event, *heads.get(event.incident_id, (0, "")))
                changed.append(event)
            heads[event.incident_id] = (event.seq, event.hash)
        rows_of.bulk_update(changed, ["seq", "prev_hash", "hash", "data"], batch_size=500)
        done, after = done + len(changed), ids[-1]
    return done


def _backfill_order(event) -> tuple:
    return (event.incident_id, not event.hash, event.seq or 0, event.at, event.id)


def _link(event, last_seq: int, last_hash: str) -> None:
    if event.at is None:
        event.at = timezone.now()
    event.seq, event.prev_hash = last_seq + 1, last_hash
    event.data = chain.json_roundtrip(event.data if event.data is not None else {})
    event.hash = chain.link_hash(last_hash, event_content(event))


def _heads(model, incident_ids: set) -> dict:
    rows = (model._base_manager.filter(incident_id__in=incident_ids, seq__isnull=False)
            .order_by("incident_id", "seq").values_list("incident_id", "seq", "hash"))
    return {incident_id: (seq, hash_) for incident_id, seq, hash_ in rows}


def _next_incidents(rows, *, after: int, batch: int) -> list[int]:
    """The next `batch` incident ids above `after` that have history (keyset pagination)."""
    return list(rows.filter(incident_id__gt=after).order_by("incident_id")
                .values_list("incident_id", flat=True).distinct()[:batch])


def _int(value):
    return None if value is None else int(value)
