"""Sending due deliveries: claim under a lease, send once, record the outcome, retry with backoff.

Several workers may run this at once, on several machines:

- **Claim.** One short transaction selects due rows (pending, failed_retrying, or sending with
  an expired lease; `next_attempt_at <= now`) with ``SELECT … FOR UPDATE SKIP LOCKED`` on
  PostgreSQL and MySQL 8 / MariaDB 10.6+, so workers take disjoint rows without waiting. SQLite
  has one writer: its IMMEDIATE transactions run claims one after another. Claimed rows become
  SENDING, count an attempt, and get a lease: `next_attempt_at = now + LEASE`.
- **Send** happens after that commit, holding no lock during network I/O. A row whose lease is
  about to run out before its turn comes is left alone (another worker may take it by then).
- **Record** is conditional on (status SENDING, the claimed attempt count), so a worker whose
  lease ran out cannot overwrite the outcome of the worker that took the row over.
- **Lost worker.** A worker killed mid-send leaves its rows SENDING; when the lease runs out
  they are due again and another pass sends them. Nothing is lost, but a message the remote
  side accepted just before the kill goes out twice; email keeps its Message-ID and webhooks
  their delivery id for that case, so receivers can drop the copy.
- **Rate limits.** A group robot's request first takes a slot of its vendor's limit
  (ratelimit.py, counted under the endpoint's row lock, so it holds across workers). A delivery
  with no free slot, or one the robot answers with "too fast", is *deferred*: it goes back to
  waiting until the window frees, and the attempt it had claimed is given back. A deferral is
  never a failure, so it never brings a delivery nearer to dead.
- **Failure** waits RETRY_DELAYS (±20 % jitter, so a recovered channel is not hit by every
  retry at once) and becomes `dead` after MAX_ATTEMPTS or on a permanent error.
"""

import logging
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from .channels import SENDERS, RateLimited, SendError
from .choices import DUE_STATUSES, DeliveryStatus
from .models import Delivery
from .ratelimit import VENDOR_PENALTY, rate_slot_take

logger = logging.getLogger(__name__)

RETRY_DELAYS = (timedelta(seconds=30), timedelta(minutes=2), timedelta(minutes=10),
                timedelta(hours=1), timedelta(hours=6), timedelta(hours=12), timedelta(hours=24))
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1  # the first try and seven retries: about 43 hours
JITTER = 0.2
LEASE = timedelta(minutes=10)
# Longer than one send can take (SMTP timeout 30 s, HTTP 10 s): a row with less lease left
# than this is not started, so a lease never runs out while its send is in flight.
LEASE_MARGIN = timedelta(minutes=2)
BATCH = 10
ERROR_MAX = 2000
DEFERRED = "deferred"  # delivery_send's answer for a delivery put off by a rate limit
OUTCOMES = {DeliveryStatus.SENT: "sent", DeliveryStatus.RETRYING: "retrying",
            DEFERRED: "deferred"}


@dataclass
class SendReport:
    """What one pass did: counts per outcome, and the earliest retry or deferral it scheduled."""

    sent: int = 0
    retrying: int = 0
    dead: int = 0
    skipped: int = 0
    deferred: int = 0
    next_retry_at: datetime | None = field(default=None)

    @property
    def taken(self) -> int:
        return self.sent + self.retrying + self.dead + self.skipped + self.deferred

    def add(self, delivery: Delivery, status: str | None) -> None:
        """Count one delivery's outcome (None: left for its lease to run out)."""
        if status is None:
            self.skipped += 1
            return
        name = OUTCOMES.get(status, "dead")
        setattr(self, name, getattr(self, name) + 1)
        if name in ("retrying", "deferred") and (
                self.next_retry_at is None or delivery.next_attempt_at < self.next_retry_at):
            self.next_retry_at = delivery.next_attempt_at

    def as_dict(self) -> dict:
        return {"sent": self.sent, "retrying": self.retrying, "dead": self.dead,
                "skipped": self.skipped, "deferred": self.deferred}


def retry_delay(*, attempt: int, rng: random.Random | None = None) -> timedelta:
    """How long to wait after failed attempt number `attempt` (1-based), with ±20 % jitter."""
    base = RETRY_DELAYS[min(max(attempt, 1), len(RETRY_DELAYS)) - 1]
    return base * (rng or random).uniform(1 - JITTER, 1 + JITTER)


def deliveries_send_due(*, limit: int = 500) -> SendReport:
    """Send due deliveries in small claimed batches until none is due or `limit` were taken."""
    report = SendReport()
    while report.taken < limit:
        batch = deliveries_claim(limit=min(BATCH, limit - report.taken))
        if not batch:
            break
        for delivery in batch:
            report.add(delivery, delivery_send(delivery=delivery))
    return report


def deliveries_claim(*, limit: int) -> list[Delivery]:
    """Take up to `limit` due deliveries for this worker: SENDING, one more attempt, a lease."""
    now = timezone.now()
    with transaction.atomic():
        due = Delivery.objects.filter(status__in=DUE_STATUSES, next_attempt_at__lte=now)
        # The order of the (status, next_attempt_at) index: InnoDB then reads and locks only
        # the rows it returns. Ordering by time alone sorts every due row first, and so locks
        # them all, leaving nothing for the other workers to skip to.
        in_index_order = due.order_by("status", "next_attempt_at", "id")
        ids = list(_locked(in_index_order).values_list("pk", flat=True)[:limit])
        Delivery.objects.filter(pk__in=ids).update(
            status=DeliveryStatus.SENDING, attempts=F("attempts") + 1,
            next_attempt_at=now + LEASE)
    return list(Delivery.objects.filter(pk__in=ids).select_related("endpoint")
                .order_by("next_attempt_at", "id"))


def _locked(queryset):
    """Lock the selected rows, skipping those another worker holds where the database can."""
    if connection.features.has_select_for_update_skip_locked:
        return queryset.select_for_update(skip_locked=True)
    return queryset.select_for_update()  # SQLite ignores it: its writers take turns anyway


def delivery_send(*, delivery: Delivery) -> str | None:
    """Send one claimed delivery once and record the outcome; returns the new status.

    Returns None, sending nothing, when the claim's lease is too close to its end, and DEFERRED
    when the robot's rate limit puts it off.
    """
    if timezone.now() >= delivery.next_attempt_at - LEASE_MARGIN:
        return None
    if delivery.attempts > MAX_ATTEMPTS:  # the last attempt's worker was lost mid-send
        return _record_failure(delivery, SendError("worker lost during the last attempt",
                                                   permanent=True))
    if delivery.endpoint_id and not delivery.endpoint.is_active:
        return _record_failure(delivery, SendError("the endpoint is switched off",
                                                   permanent=True))
    if (until := rate_slot_take(delivery=delivery, now=timezone.now())) is not None:
        return _defer(delivery, until=until)
    return _send_and_record(delivery)


def _send_and_record(delivery: Delivery) -> str:
    try:
        SENDERS[delivery.channel](delivery)
    except SendError as exc:
        if isinstance(exc, RateLimited) and delivery.channel in VENDOR_PENALTY:
            logger.info("delivery %s: %s", delivery.pk, exc)
            return _defer(delivery, until=timezone.now() + VENDOR_PENALTY[delivery.channel])
        return _record_failure(delivery, exc)
    except Exception as exc:  # a sender's bug must not leave the row SENDING until the lease
        logger.exception("delivery %s: unexpected error in the %s sender", delivery.pk,
                         delivery.channel)
        return _record_failure(delivery, SendError(f"{type(exc).__name__}: {exc}"))
    return _record(delivery, status=DeliveryStatus.SENT, sent_at=timezone.now(),
                   last_error="")


def _record_failure(delivery: Delivery, error: SendError) -> str:
    now = timezone.now()
    logger.warning("delivery %s (%s) attempt %s failed: %s", delivery.pk, delivery.channel,
                   delivery.attempts, error)
    if error.permanent or delivery.attempts >= MAX_ATTEMPTS:
        return _record(delivery, status=DeliveryStatus.DEAD, next_attempt_at=now,
                       last_error=str(error)[:ERROR_MAX])
    return _record(delivery, status=DeliveryStatus.RETRYING,
                   next_attempt_at=now + retry_delay(attempt=delivery.attempts),
                   last_error=str(error)[:ERROR_MAX])


def _defer(delivery: Delivery, *, until: datetime) -> str:
    """Put the delivery back to wait until `until`, giving back the attempt it had claimed."""
    status = DeliveryStatus.PENDING if delivery.attempts <= 1 else DeliveryStatus.RETRYING
    _record(delivery, status=status, attempts=delivery.attempts - 1, next_attempt_at=until)
    return DEFERRED


def _record(delivery: Delivery, **values) -> str:
    """Write the outcome unless another worker took the delivery over after our lease ran out."""
    updated = Delivery.objects.filter(
        pk=delivery.pk, status=DeliveryStatus.SENDING, attempts=delivery.attempts,
    ).update(**values)
    if not updated:
        logger.warning("delivery %s: lease lost before its outcome was recorded", delivery.pk)
    for name, value in values.items():
        setattr(delivery, name, value)
    return values["status"]
