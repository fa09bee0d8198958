"""Accepting alert payloads at once and processing them in the background."""

import json
import logging
import time

from django.core.cache import cache
from django.db import (DatabaseError, InterfaceError, OperationalError, connections, router,
                       transaction)
from django.utils import timezone
from django.utils.translation import gettext as _

from opsdesk.core.exceptions import DomainError, InvalidInput, NotFound

from ..models import AlertDrain, AlertIntegration, AlertPayload, token_digest
from ..parsers.types import ParseError

logger = logging.getLogger(__name__)
MAX_ATTEMPTS = 5
BATCH = 200  # payloads per transaction: fewer commits, short enough lock hold
QUEUED_MARK_SECONDS = 1  # see integration_drain
TOKEN_MEMORY_SECONDS = 5
_known_tokens: dict[str, tuple[AlertIntegration, float]] = {}


class PayloadTooLarge(DomainError):
    status_code = 413


class RateLimited(DomainError):
    status_code = 429

    def __init__(self, message: str, *, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


def integration_for_token(token: str) -> AlertIntegration:
    """The active integration this URL token belongs to; an unknown token is a 404.

    Each process remembers the answer for TOKEN_MEMORY_SECONDS, so a storm reads the table
    once per process instead of once per post; disabling an integration or giving it a new
    token therefore takes effect within that time.
    """
    digest = token_digest(token or "")
    remembered = _known_tokens.get(digest)
    if remembered and remembered[1] > time.monotonic():
        return remembered[0]
    integration = (AlertIntegration.objects.filter(token_digest=digest, is_active=True)
                   .order_by()[:1])
    if not integration:
        logger.warning("Alert posted with an unknown or disabled integration token")
        raise NotFound(_("No active alert integration has this URL. Copy the URL again from "
                         "the integration's page."))
    _known_tokens[digest] = (integration[0], time.monotonic() + TOKEN_MEMORY_SECONDS)
    return integration[0]


def integration_tokens_forget() -> None:
    """Forget the remembered tokens of this process (after an edit here, and in tests)."""
    _known_tokens.clear()


def rate_check(*, integration: AlertIntegration, now=None) -> None:
    """Count this request in the integration's one-minute window; over the limit is a 429.

    The counter lives in the cache: shared by every process with Redis (REDIS_URL), per
    process otherwise.
    """
    now = now or timezone.now()
    window = int(now.timestamp()) // 60
    key = f"intake:rate:{integration.pk}:{window}"
    try:
        count = cache.incr(key)  # one cache call for every post of a window but its first
    except ValueError:  # the window's first post (two at once: add() lets one start it)
        cache.add(key, 0, timeout=120)
        count = cache.incr(key)
    if count > integration.rate_limit_per_minute:
        retry_after = 60 - int(now.timestamp()) % 60
        raise RateLimited(_("Too many requests for this integration: at most %(limit)d a "
                            "minute. Retry in %(seconds)d s.") % {
            "limit": integration.rate_limit_per_minute, "seconds": retry_after},
            retry_after=retry_after)


def payload_size_check(*, integration: AlertIntegration, declared: int) -> None:
    """A body over the integration's limit is refused with 413."""
    if declared > integration.max_payload_kib * 1024:
        raise PayloadTooLarge(_("The payload is larger than this integration accepts "
                                "(%(kib)d KiB).") % {"kib": integration.max_payload_kib})


def payload_accept(*, integration: AlertIntegration, body: bytes) -> AlertPayload:
    """Store the body as sent and queue it; malformed JSON is refused and nothing is stored."""
    payload_size_check(integration=integration, declared=len(body))
    text = _json_text(body)
    # One INSERT, committed on its own (autocommit): the payload is safe before the 202.
    payload = AlertPayload(integration=integration, body=text)
    _payload_insert(payload)
    transaction.on_commit(lambda: _enqueue(integration.pk))  # at once outside a transaction
    return payload


def _payload_insert(payload: AlertPayload) -> None:
    """INSERT the new payload's row and give it its id.

    What payload.save() sends, with two savings that matter in an alert storm:
    - the statement is built once per database: compiling it anew for every post cost about
      a quarter of the request's Python time (nothing listens to the model's signals);
    - outside a transaction, no health check (CONN_HEALTH_CHECKS) before it. That check is a
      `SELECT 1` round trip at each request's first query, as long as the INSERT's own.
      Instead, an INSERT that fails on a broken connection (server restarted, connection
      dropped while idle) is sent once more on a new one. It was not stored, or, if the
      connection broke during its commit, it is stored twice: duplicate deliveries change
      nothing. The tool is answered only after a stored row, as before.
    """
    db = connections[router.db_for_write(AlertPayload)]
    if db.in_atomic_block:  # a caller's transaction: it owns the connection
        payload.pk = _PayloadInsert.for_db(db).run(db, payload)
    else:
        db.health_check_done = True
        try:
            payload.pk = _PayloadInsert.for_db(db).run(db, payload)
        except (OperationalError, InterfaceError):
            logger.warning("Alert payload INSERT failed; retrying on a new database "
                           "connection", exc_info=True)
            try:
                db.close()
            except DatabaseError:
                pass  # closing a broken connection can fail too; it is dropped all the same
            payload.pk = _PayloadInsert.for_db(db).run(db, payload)
    payload._state.adding, payload._state.db = False, db.alias


class _PayloadInsert:
    """The INSERT of an AlertPayload for one database, with its constant values bound once.

    The integration, the body and every field with a callable default (the time) are bound
    per row; the other fields' defaults once.
    """

    _built: dict[tuple[str, str], "_PayloadInsert"] = {}

    @classmethod
    def for_db(cls, db) -> "_PayloadInsert":
        key = (db.alias, db.vendor)
        if key not in cls._built:
            cls._built[key] = cls(db)
        return cls._built[key]

    def __init__(self, db):
        meta, quote = AlertPayload._meta, db.ops.quote_name
        fields = [f for f in meta.concrete_fields if not f.primary_key]
        self.per_row = [f for f in fields
                        if f.name in ("integration", "body") or callable(f.default)]
        constant = [f for f in fields if f not in self.per_row]
        self.constants = [f.get_db_prep_save(f.get_default(), db) for f in constant]
        columns = ", ".join(quote(f.column) for f in self.per_row + constant)
        self.sql = "INSERT INTO %s (%s) VALUES (%s)" % (
            quote(meta.db_table), columns, ", ".join(["%s"] * len(fields)))
        self.returning = db.features.can_return_columns_from_insert
        if self.returning:
            self.sql += " " + db.ops.return_insert_columns([meta.pk])[0]

    def run(self, db, payload: AlertPayload) -> int:
        """Insert the row; its id."""
        params = [f.get_db_prep_save(getattr(payload, f.attname), db) for f in self.per_row]
        with transaction.mark_for_rollback_on_error(db.alias), db.cursor() as cursor:
            cursor.execute(self.sql, params + self.constants)
            if self.returning:
                return cursor.fetchone()[0]
            return db.ops.last_insert_id(cursor, AlertPayload._meta.db_table, "id")


def _json_text(body: bytes) -> str:
    """The body as text, if it is JSON; anyone may post, so nothing they send may be a 500.

    A body nested deeper than Python's recursion limit (`[[[[…` within the size limit) makes
    json.loads raise RecursionError, not ValueError: it is refused as malformed as well.
    """
    try:
        text = body.decode("utf-8")
        json.loads(text)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise InvalidInput(_("The body is not valid JSON (UTF-8): %(error)s") % {"error": exc},
                           errors={"body": _("Send the JSON exactly as the tool produces it.")})
    return text


def _enqueue(integration_id: int) -> None:
    """Queue a drain of the integration, unless this process queued one a moment ago."""
    from ..tasks_alerts import alert_integration_drain_task

    if not cache.add(_queued_key(integration_id), 1, timeout=QUEUED_MARK_SECONDS):
        return
    try:
        alert_integration_drain_task.enqueue(integration_id)
    except Exception:  # the periodic sweep drains what the queue missed
        logger.exception("Could not queue the alert drain of integration %s", integration_id)
        cache.delete(_queued_key(integration_id))


def _queued_key(integration_id: int) -> str:
    return f"intake:drain-queued:{integration_id}"


def integration_drain(*, integration_id: int, max_batches: int = 50, settle: float = 0) -> int:
    """Process the integration's pending payloads in arrival order; returns how many.

    The integration's AlertDrain row is the lock: one drain at a time per integration, so
    alerts are handled in the order they arrived and two workers never deadlock on one group.
    A second drain waits for the first and takes what is left.

    A queued drain (settle = QUEUED_MARK_SECONDS) looks once more that long after it found
    nothing. A payload whose enqueue was skipped because of the "queued" mark was accepted
    less than that long after the mark was set, so after the task of that mark started: its
    last look sees it. The mark lives in each process's cache unless Redis is shared, so this
    wait, not the mark's deletion, is what guarantees it.
    """
    done = 0
    for _batch in range(max_batches):
        count = _drain_batch(integration_id)
        if count == 0:
            cache.delete(_queued_key(integration_id))
            if settle:
                time.sleep(settle)
            count = _drain_batch(integration_id)
        done += count
        if count == 0:
            return done
    _enqueue(integration_id)  # a long storm: hand the rest to a fresh task
    return done


def _drain_batch(integration_id: int) -> int:
    """Up to BATCH pending payloads in one transaction; one savepoint each only on trouble.

    The fast path handles the batch without savepoints and writes the deliveries and the
    payloads' states in bulk. If anything unexpected fails, the batch is rolled back and done
    again payload by payload, each in a savepoint, so one bad payload holds up no other.
    """
    try:
        return _drain(integration_id, careful=False)
    except Exception:
        logger.exception("Alert batch of integration %s failed; retrying one by one",
                         integration_id)
        return _drain(integration_id, careful=True)


def _drain(integration_id: int, *, careful: bool) -> int:
    from .alerts import IngestBatch

    integration = AlertIntegration.objects.filter(pk=integration_id).first()
    if integration is None:
        return 0
    AlertDrain.objects.get_or_create(integration=integration)
    with transaction.atomic():
        # One drain per integration at a time; accepting new payloads never waits for it.
        if not list(AlertDrain.objects.select_for_update().filter(integration=integration)):
            return 0  # the integration was deleted meanwhile
        payloads = list(AlertPayload.objects.filter(
            integration_id=integration_id, state=AlertPayload.State.PENDING).order_by("id")[:BATCH])
        parsed = [_parse(integration, payload) for payload in payloads]
        batch = IngestBatch(integration=integration)
        batch.lock(a.fingerprint for alerts in parsed if alerts for a in alerts)
        for payload, alerts in zip(payloads, parsed):
            if alerts is None:
                continue  # failed to parse: its state says why
            if careful:
                _ingest_careful(integration, payload, alerts)
            else:
                _ingest(integration, payload, alerts, batch)
        batch.flush()
        _states_save(payloads)
    return len(payloads)


def _parse(integration: AlertIntegration, payload: AlertPayload) -> list | None:
    """The payload's alerts, or None with the payload marked failed (no retry can help)."""
    from ..parsers.registry import alerts_parse

    payload.attempts += 1
    try:
        return alerts_parse(integration.kind, json.loads(payload.body),
                            mapping=integration.field_mapping or None)
    except (ParseError, ValueError) as exc:
        payload.state, payload.error = AlertPayload.State.FAILED, str(exc)[:2000]
        return None


def _ingest(integration, payload: AlertPayload, alerts: list, batch) -> None:
    from .alerts import alerts_ingest

    alerts_ingest(integration=integration, alerts=alerts, payload=payload, batch=batch)
    payload.state, payload.alert_count = AlertPayload.State.PROCESSED, len(alerts)


def _ingest_careful(integration, payload: AlertPayload, alerts: list) -> None:
    """_ingest in a savepoint with a batch of its own: a fault of ours is counted and kept."""
    from .alerts import IngestBatch

    try:
        with transaction.atomic():
            batch = IngestBatch(integration=integration)
            _ingest(integration, payload, alerts, batch)
            batch.flush()
    except Exception as exc:
        logger.exception("Alert payload %s failed", payload.pk)
        payload.state = (AlertPayload.State.FAILED if payload.attempts >= MAX_ATTEMPTS
                         else AlertPayload.State.PENDING)
        payload.error = repr(exc)[:2000]


def _states_save(payloads: list[AlertPayload]) -> None:
    """Write the batch's outcomes: one UPDATE per kind of outcome, not one per payload."""
    now = timezone.now()
    groups: dict = {}
    for payload in payloads:
        key = (payload.state, payload.alert_count, payload.attempts, payload.error)
        groups.setdefault(key, []).append(payload.pk)
    for (state, count, attempts, error), ids in groups.items():
        AlertPayload.objects.filter(pk__in=ids).update(
            state=state, alert_count=count, attempts=attempts, error=error,
            processed_at=now if state == AlertPayload.State.PROCESSED else None)


def _payload_failed(payload: AlertPayload, error: str) -> AlertPayload:
    payload.state, payload.error = AlertPayload.State.FAILED, error[:2000]
    payload.attempts += 1
    payload.save(update_fields=["state", "error", "attempts"])
    return payload


def payload_retry(*, payload: AlertPayload) -> AlertPayload:
    """Put a failed payload back in the queue (after the mapping was fixed) and drain it."""
    AlertPayload.objects.filter(pk=payload.pk, state=AlertPayload.State.FAILED).update(
        state=AlertPayload.State.PENDING, error="", attempts=0)
    integration_drain(integration_id=payload.integration_id)
    payload.refresh_from_db()
    return payload


def payloads_sweep() -> int:
    """Drain every integration with pending payloads (the queue may have lost a task)."""
    ids = (AlertPayload.objects.filter(state=AlertPayload.State.PENDING)
           .order_by().values_list("integration_id", flat=True).distinct())
    return sum(integration_drain(integration_id=pk) for pk in list(ids))
