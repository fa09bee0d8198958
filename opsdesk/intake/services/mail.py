"""Mail intake: poll the mailboxes, store every mail raw, then process it in the background.

Nothing is lost on the way. A message is marked seen, deleted or moved on the IMAP server only
after its raw bytes and row have committed; a crash in between fetches it again next time, and
the unique `dedup_key` makes the second store a no-op. Processing runs in one transaction, so
a failure leaves nothing half-created and puts the mail in the quarantine, from where
`inbound_mail_retry` processes it again once the cause is fixed.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from opsdesk.core.exceptions import Conflict, DomainError

from .. import imap
from ..models import InboundMail, Mailbox
from ..oauth import OAuthError
from ..parsers.email import dedup_key, mail_parse
from .mail_incidents import MailRun, mail_handle
from .mail_too_large import too_large_mail, too_large_note

logger = logging.getLogger(__name__)
FIELD_MAX = 255
POLL_SLACK = timedelta(seconds=5)     # the periodic loop's rounds are not exactly on time
REQUEUE_AFTER = timedelta(minutes=5)  # a received mail this old has lost its processing task


# ---- polling -----------------------------------------------------------------------------

def mailboxes_poll_due(*, now=None) -> int:
    """Poll every active mailbox whose interval has passed; return how many mails were new.

    Each mailbox is claimed with a conditional UPDATE of last_polled_at, so two workers running
    this at once never poll the same mailbox together.
    """
    now = now or timezone.now()
    return sum(mailbox_poll(mailbox=m) for m in Mailbox.objects.filter(is_active=True)
               if _poll_claim(m, now=now))


def _poll_claim(mailbox: Mailbox, *, now) -> bool:
    last = mailbox.last_polled_at
    if last is not None and last + timedelta(seconds=mailbox.poll_seconds) - POLL_SLACK > now:
        return False
    return bool(Mailbox.objects.filter(pk=mailbox.pk, last_polled_at=last)
                .update(last_polled_at=now))


def mailbox_poll(*, mailbox: Mailbox) -> int:
    """Fetch the mailbox's unseen mail and store it; return how many mails were new.

    Errors (the server is down, a login fails, storage is full) are recorded in last_error,
    never raised: one broken mailbox must not stop the others.
    """
    try:
        new, error = _poll(mailbox)
    except Exception as exc:
        logger.warning("Polling mailbox %s failed", mailbox.name, exc_info=True)
        new, error = 0, error_text(exc)
    mailbox.last_polled_at, mailbox.last_error = timezone.now(), error
    Mailbox.objects.filter(pk=mailbox.pk).update(last_polled_at=mailbox.last_polled_at,
                                                 last_error=error)
    return new


def mailbox_connection_test(*, mailbox: Mailbox) -> tuple[int, str]:
    """Sign in and open the folder, fetching nothing: (unseen messages, "") or (0, error).

    The outcome replaces the mailbox's last error: a failure is what the next poll would meet,
    and a success means the cause of an earlier one is fixed.
    """
    try:
        with imap.imap_open(mailbox) as box:
            unseen, error = len(imap.unseen_uids(box)), ""
    except Exception as exc:
        logger.info("Testing mailbox %s failed", mailbox.name, exc_info=True)
        unseen, error = 0, error_text(exc)
    mailbox.last_error = error
    Mailbox.objects.filter(pk=mailbox.pk).update(last_error=error)
    return unseen, error


def _poll(mailbox: Mailbox) -> tuple[int, str]:
    new, errors = 0, []
    with imap.imap_open(mailbox) as box:
        imap.folder_ensure(box, mailbox)
        fitting, too_large = imap.unseen_by_size(box, imap.unseen_uids(box),
                                                 limit=settings.OPSDESK_MAIL_MAX_BYTES)
        for batch in imap.raw_batches(box, fitting):
            stored, batch_new = _store_batch(mailbox, batch, errors)
            imap.settle(box, mailbox, stored)  # only what has committed
            new += batch_new
        new += _store_too_large(box, mailbox, too_large, errors)
    return new, errors[0] if errors else ""


def _store_too_large(box, mailbox: Mailbox, sizes: dict[str, int], errors: list) -> int:
    """Mails over OPSDESK_MAIL_MAX_BYTES: their headers are fetched, a stand-in is stored
    (mail_too_large.py), and they are marked seen after the commit, never deleted or moved:
    the server keeps the only full copy. One that fails stays unseen for the next poll."""
    new = 0
    for batch in imap.header_batches(box, list(sizes)):
        stored = []
        for uid, header in batch:
            try:
                _mail, created = inbound_mail_store(
                    mailbox=mailbox, raw=too_large_mail(header=header, size=sizes[uid],
                                                        mailbox=mailbox),
                    size=sizes[uid], note=too_large_note(size=sizes[uid]))
            except Exception as exc:
                logger.warning("Storing large mail UID %s of %s failed", uid, mailbox.name,
                               exc_info=True)
                errors.append(error_text(exc))
                continue
            stored.append(uid)
            new += created
        imap.mark_seen(box, stored)
    return new


def _store_batch(mailbox: Mailbox, batch, errors: list) -> tuple[list[str], int]:
    """Store each message; a message that fails stays unseen on the server for the next poll."""
    stored, new = [], 0
    for uid, raw in batch:
        if not raw:
            continue
        try:
            _mail, created = inbound_mail_store(mailbox=mailbox, raw=raw)
        except Exception as exc:
            logger.warning("Storing mail UID %s of %s failed", uid, mailbox.name, exc_info=True)
            errors.append(error_text(exc))
            continue
        stored.append(uid)
        new += created
    return stored, new


# ---- storing -----------------------------------------------------------------------------

def inbound_mail_store(*, mailbox: Mailbox | None, raw: bytes, size: int | None = None,
                       note: str = "") -> tuple[InboundMail, bool]:
    """Keep a mail exactly as received and queue its processing; return (mail, created).

    The same mail stored twice (by dedup_key) returns the first row and queues nothing. The
    file is written first and removed again if the row cannot be saved, so no orphan is left.
    `size` and `note` are given for a stand-in of a mail too large to fetch: its real size.
    """
    key = dedup_key(raw)
    existing = InboundMail.objects.filter(dedup_key=key).first()
    if existing is not None:
        return existing, False
    mail = InboundMail(mailbox=mailbox, dedup_key=key, size=len(raw) if size is None else size,
                       note=note, **_header_columns(raw))
    mail.raw.save(f"{key}.eml", ContentFile(raw), save=False)
    try:
        with transaction.atomic():
            mail.save()
            transaction.on_commit(lambda: _process_enqueue(mail.pk), robust=True)
    except IntegrityError:  # a concurrent poll stored it first
        mail.raw.delete(save=False)
        return InboundMail.objects.get(dedup_key=key), False
    except BaseException:
        mail.raw.delete(save=False)
        raise
    return mail, True


def _header_columns(raw: bytes) -> dict:
    """Subject, sender and Message-ID for the admin's list; a mail that cannot be read is
    stored anyway, with blank columns, and processing quarantines it."""
    try:
        parsed = mail_parse(raw)
    except Exception:  # noqa: BLE001
        return {}
    return {"subject": _one_line(parsed.subject), "from_address": parsed.from_address[:FIELD_MAX],
            "message_id": parsed.message_id[:FIELD_MAX]}


def _one_line(text: str) -> str:
    return " ".join((text or "").split())[:FIELD_MAX]


def _process_enqueue(mail_id: int) -> None:
    from ..tasks import inbound_mail_process_task

    inbound_mail_process_task.enqueue(mail_id)


def inbound_mails_requeue(*, older_than: timedelta = REQUEUE_AFTER) -> int:
    """Queue processing again for mails still waiting after `older_than` (a lost task)."""
    ids = list(InboundMail.objects.filter(state=InboundMail.State.RECEIVED,
                                          received_at__lt=timezone.now() - older_than)
               .values_list("pk", flat=True)[:500])
    for mail_id in ids:
        _process_enqueue(mail_id)
    return len(ids)


# ---- processing --------------------------------------------------------------------------

def inbound_mail_process(*, mail: InboundMail) -> InboundMail:
    """Turn a received mail into an incident, a comment or an alert, or ignore it.

    Idempotent: the row is locked and only a RECEIVED mail is handled, so a mail processed
    twice (two workers, a re-queued task) creates nothing new. Everything it creates commits
    together with its new state; on any failure it all rolls back and the mail is quarantined
    with the error and one more attempt counted.
    """
    run = MailRun(mail=mail)
    try:
        with transaction.atomic():
            run.mail = InboundMail.objects.select_for_update().get(pk=mail.pk)
            if run.mail.state != InboundMail.State.RECEIVED:
                return run.mail
            mail_handle(run)
            _finish(run.mail)
        return run.mail
    except Exception as exc:
        logger.warning("Inbound mail %s quarantined", mail.pk, exc_info=True)
        _files_remove(run.files_written)
        return _quarantine(mail, exc)


def _finish(mail: InboundMail) -> None:
    if mail.state == InboundMail.State.RECEIVED:
        mail.state = InboundMail.State.PROCESSED
    mail.attempts += 1
    mail.processed_at = timezone.now()
    mail.save()


def _files_remove(names: list[str]) -> None:
    """Attachment files written by a transaction that rolled back."""
    for name in names:
        try:
            default_storage.delete(name)
        except OSError:
            logger.warning("Could not remove %s", name, exc_info=True)


def _quarantine(mail: InboundMail, exc: Exception) -> InboundMail:
    InboundMail.objects.filter(pk=mail.pk).update(
        state=InboundMail.State.QUARANTINED, note=error_text(exc),
        attempts=F("attempts") + 1, processed_at=None)
    mail.refresh_from_db()
    return mail


def inbound_mail_retry(*, mail: InboundMail) -> InboundMail:
    """Process a quarantined mail again (after its cause was fixed); Conflict if not quarantined."""
    back = InboundMail.objects.filter(pk=mail.pk, state=InboundMail.State.QUARANTINED).update(
        state=InboundMail.State.RECEIVED)
    if not back:
        raise Conflict(_("Only a quarantined mail can be retried."))
    return inbound_mail_process(mail=mail)


def inbound_mail_release(*, mail: InboundMail, by) -> InboundMail:
    """Process a mail quarantined for an unauthenticated sender as its From address says.

    The desk's decision that the sender is genuine; who made it and when stays on the row
    (and in the log). Conflict unless the mail is quarantined for that reason.
    """
    back = InboundMail.objects.filter(
        pk=mail.pk, state=InboundMail.State.QUARANTINED).exclude(sender_verdict="").update(
        state=InboundMail.State.RECEIVED, released_by=by, released_at=timezone.now())
    if not back:
        raise Conflict(_("Only a mail quarantined for an unauthenticated sender can be "
                         "released."))
    logger.warning("Inbound mail %s released as its sender by %s", mail.pk, by)
    return inbound_mail_process(mail=mail)


def inbound_mail_discard(*, mail: InboundMail, by) -> InboundMail:
    """Set a quarantined mail aside for good: nothing is created, the original is kept."""
    note = _("Discarded by %(user)s.") % {"user": by}
    back = InboundMail.objects.filter(pk=mail.pk, state=InboundMail.State.QUARANTINED).update(
        state=InboundMail.State.DISCARDED, processed_at=timezone.now())
    if not back:
        raise Conflict(_("Only a quarantined mail can be discarded."))
    mail.refresh_from_db()
    mail.note = f"{note} {mail.note}".strip()
    mail.save(update_fields=["note"])
    logger.info("Inbound mail %s discarded by %s", mail.pk, by)
    return mail


def error_text(exc: BaseException) -> str:
    """A readable one-paragraph reason, for the quarantine and the mailbox's last error."""
    if isinstance(exc, OAuthError | imap.ImapSettingsError):
        return str(exc)
    if isinstance(exc, DomainError):
        details = "; ".join(f"{field}: {message}" for field, message in exc.errors.items())
        return f"{exc.message} {details}".strip()
    return f"{type(exc).__name__}: {exc}".strip()
