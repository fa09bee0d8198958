"""What a mail becomes on the desk: nothing (automatic mail), an alert, a reply or an incident.

Called by `mail.inbound_mail_process` inside its transaction; every function here may raise,
and then everything rolls back and the mail goes to the quarantine.

- Automatic mail (auto-replies, loops, and delivery notices: bounces, delays, delivery
  reports; see parsers.email) is ignored, never answered. Its note says which, and for a
  delivery notice to whom delivery failed or is delayed. No address is flagged as bouncing:
  opsdesk keeps no such mark, so a delay notice cannot set one either.
- When the mailbox requires authenticated senders (mail_auth.py), any other mail that its
  trusted receiving server did not vouch for is quarantined with the reason, before anything
  is written in the From address's name; the desk releases it (then it goes on as below) or
  discards it.
- A mail from a sender of the mailbox's Icinga/Nagios integration becomes an alert.
- A reply (In-Reply-To/References naming one of our notification mails, or an incident number
  in the subject) becomes a public comment by the sender, with its quoted text removed. When
  the sender may not comment there, or the incident is finished, a new incident is opened that
  names the old number: a reply never lands on someone else's ticket.
- Anything else opens an incident (source 02, the mailbox's defaults) for the sender, matched
  by address or created as a contact.
"""

import logging
import mimetypes
import re
from dataclasses import dataclass, field

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _

from opsdesk.core import lookups
from opsdesk.core.exceptions import Conflict, InvalidInput, NotPermitted
from opsdesk.incidents import events
from opsdesk.incidents.choices import FINAL_STATUSES, Channel, Visibility
from opsdesk.incidents.models import Comment, Incident
from opsdesk.incidents.services.comments import attachment_create, comment_create
from opsdesk.incidents.services.lifecycle import incident_transition
from opsdesk.incidents.services.records import incident_create
from opsdesk.notifications.selectors import delivery_thread_key
from opsdesk.reference.models import Nature

from ..models import InboundMail, Mailbox
from ..parsers.email import mail_parse
from ..parsers.icinga import parse_icinga_mail
from ..parsers.types import MailAttachment, ParsedMail
from .alerts import alerts_ingest
from .mail_auth import SenderVerdict, sender_verdict, trusted_ids
from .mail_people import mail_intake_user, mail_requester, user_by_email

logger = logging.getLogger(__name__)

THREAD_PREFIX = "incident:"  # notifications' thread key of an incident: f"incident:{number}"
SHORT_MAX = Incident._meta.get_field("short_description").max_length


class MailRejected(Exception):
    """The mail cannot be taken as it is (e.g. an unknown sender); it goes to the quarantine."""


@dataclass
class MailRun:
    """One processing of one mail: the locked row, what it parsed to, files written so far."""

    mail: InboundMail
    parsed: ParsedMail | None = None
    files_written: list[str] = field(default_factory=list)

    @property
    def mailbox(self) -> Mailbox | None:
        return self.mail.mailbox


def mail_handle(run: MailRun) -> None:
    """Decide what the mail becomes and create it; sets the mail's state, note and links.

    A loop is dropped first; monitoring mail is automatic by nature, so the alert senders are
    heard before auto-replies and bounces are dropped.
    """
    with run.mail.raw.open("rb") as handle:
        run.parsed = parsed = mail_parse(handle.read(), own_addresses=_own())
    _columns_refresh(run.mail, parsed)
    if parsed.auto_kind == "loop":
        return _ignore(run)
    if (verdict := _sender_doubt(run)) is not None:
        return _hold(run, verdict)
    if _alert_take(run):
        return None
    if parsed.auto_kind:
        return _ignore(run)
    previous = reply_target(parsed)
    if previous is None or not _reply_add(run, previous):
        _incident_open(run, previous=previous)
    return None


# ---- is the sender who the From address says? ---------------------------------------------

def _sender_doubt(run: MailRun) -> SenderVerdict | None:
    """The failed verdict when the mailbox requires authenticated senders and this one is not
    (and was not released by the desk); None when the mail may go on as its From address.

    Automatic mail that no alert integration takes is let through: it is ignored next and
    nothing is written in anyone's name, so quarantining it would only bury real cases.
    """
    mailbox = run.mailbox
    if run.mail.released_by_id is not None:
        return None
    run.mail.sender_verdict = ""  # a retried mail is judged afresh
    if mailbox is None or mailbox.sender_auth != Mailbox.SenderAuth.REQUIRE:
        return None
    if run.parsed.auto_kind and not _alert_sender(run):
        return None
    with run.mail.raw.open("rb") as handle:
        verdict = sender_verdict(raw=handle.read(), from_address=run.parsed.from_address,
                                 trusted=trusted_ids(mailbox))
    return None if verdict.passed else verdict


def _hold(run: MailRun, verdict: SenderVerdict) -> None:
    """Quarantine the mail without creating anything; the desk releases or discards it."""
    run.mail.state = InboundMail.State.QUARANTINED
    run.mail.sender_verdict = verdict.reason[:255]
    run.mail.note = verdict.reason
    logger.warning("Inbound mail %s from %s quarantined (mailbox %s): %s", run.mail.pk,
                   run.parsed.from_address, run.mailbox, verdict.reason)


def _ignore(run: MailRun) -> None:
    run.mail.state = InboundMail.State.IGNORED
    run.mail.note = _("Automatic mail (%(kind)s): never answered, nothing created.") % {
        "kind": run.parsed.auto_kind}
    if detail := _delivery_detail(run.parsed):
        run.mail.note += " " + detail


def _delivery_detail(parsed: ParsedMail) -> str:
    """Whose delivery failed or is delayed, as the notice's Action fields say (RFC 3464)."""
    by_action = {}
    for action, address in parsed.dsn_recipients:
        if address:
            by_action.setdefault(action, []).append(address)
    lines = []
    if failed := by_action.get("failed"):
        lines.append(_("Delivery failed to: %(addresses)s.") % {"addresses": ", ".join(failed)})
    if delayed := by_action.get("delayed"):
        lines.append(_("Delivery is delayed, and still being retried, to: %(addresses)s.")
                     % {"addresses": ", ".join(delayed)})
    return " ".join(lines)


def _own() -> list[str]:
    return [a.lower() for a in Mailbox.objects.values_list("address", flat=True) if a]


def _columns_refresh(mail: InboundMail, parsed: ParsedMail) -> None:
    mail.subject = " ".join(parsed.subject.split())[:255]
    mail.from_address = parsed.from_address[:255]
    mail.message_id = parsed.message_id[:255]


# ---- monitoring mail ---------------------------------------------------------------------

def _alert_take(run: MailRun) -> bool:
    """An Icinga/Nagios notification from the integration's senders becomes its alert."""
    integration = _alert_sender(run)
    if integration is None:
        return False
    alert = parse_icinga_mail(run.parsed.subject, run.parsed.body_text)
    if alert is None:
        return False
    alerts_ingest(integration=integration, alerts=[alert])
    run.mail.note = _("Monitoring alert of %(integration)s.") % {"integration": integration}
    return True


def _alert_sender(run: MailRun):
    """The mailbox's active alert integration when the mail is from one of its senders."""
    integration = run.mailbox.alert_integration if run.mailbox else None
    if integration is None or not integration.is_active:
        return None
    senders = {line.strip().lower() for line in integration.senders.splitlines() if line.strip()}
    return integration if run.parsed.from_address in senders else None


# ---- replies -----------------------------------------------------------------------------

def reply_target(parsed: ParsedMail) -> Incident | None:
    """The incident a mail answers: by our Message-IDs it names, else a number in its subject."""
    ids = [f"<{value.strip('<> ')}>" for value in (*parsed.in_reply_to, *parsed.references)
           if value.strip("<> ")]
    thread = delivery_thread_key(message_ids=ids) if ids else ""
    numbers = [thread.removeprefix(THREAD_PREFIX)] if thread.startswith(THREAD_PREFIX) else []
    numbers += subject_numbers(parsed.subject)
    found = {i.number: i for i in Incident.objects.filter(number__in=numbers)} if numbers else {}
    return next((found[n] for n in numbers if n in found), None)


def subject_numbers(subject: str) -> list[str]:
    """Incident numbers in a subject: a nature's prefix, the date and the daily serial."""
    prefixes = sorted({n.number_prefix.upper() for n in lookups.rows_by_pk(Nature).values()
                       if n.number_prefix}, key=len, reverse=True)
    if not prefixes or not subject:
        return []
    alternatives = "|".join(map(re.escape, prefixes))
    pattern = rf"(?<![A-Z0-9])(?:{alternatives})\d{{12,}}(?!\d)"
    return [m.upper() for m in re.findall(pattern, subject.upper())]


def _reply_add(run: MailRun, incident: Incident) -> bool:
    """The reply as a public comment of its sender; False when it must become a new incident."""
    sender = user_by_email(run.parsed.from_address)
    if sender is None or incident.status in FINAL_STATUSES:
        return False
    try:
        with transaction.atomic():
            comment = comment_create(incident=incident, by=sender, body=_reply_body(run.parsed),
                                     channel=Channel.EMAIL)
    except (NotPermitted, Conflict):
        return False
    attachments_save(run, incident=incident, by=sender, comment=comment)
    run.mail.incident, run.mail.comment = incident, comment
    return True


def _reply_body(parsed: ParsedMail) -> str:
    text = (parsed.reply_text or "").strip() or (parsed.body_text or "").strip()
    if text:
        return text
    return _("(sent attachments only)") if parsed.attachments else _("(empty reply)")


# ---- new incidents -----------------------------------------------------------------------

def _incident_open(run: MailRun, *, previous: Incident | None) -> None:
    """A new incident for the sender, with the mailbox's defaults and the mail's files."""
    requester = mail_requester(mailbox=run.mailbox, parsed=run.parsed)
    if requester is None:
        raise MailRejected(_("Unknown sender %(address)s: this mailbox creates no contacts, so "
                             "add the person as a user and retry.") % {
            "address": run.parsed.from_address or _("(no address)")})
    group = run.mailbox.default_group if run.mailbox else None
    incident, _created = incident_create(
        by=requester, data=_incident_data(run, previous), channel=Channel.EMAIL,
        route=group is None, acknowledge=not run.parsed.auto_response_suppressed)
    if group is not None:
        incident = incident_transition(
            incident=incident, action="assign", by=None, channel=Channel.SYSTEM,
            assignment_group=group, reason=_("Default group of mailbox %(mailbox)s") % {
                "mailbox": run.mailbox})
    attachments_save(run, incident=incident, by=requester)
    run.mail.incident = incident
    if previous is not None:
        run.mail.note = _("Answers %(number)s, which is finished or not the sender's to answer: "
                          "opened a new incident.") % {"number": previous.number}


def _incident_data(run: MailRun, previous: Incident | None) -> dict:
    subject = " ".join(run.parsed.subject.split())
    description = run.parsed.body_text or ""
    if previous is not None:
        description = _("Follow-up to %(number)s (%(subject)s).") % {
            "number": previous.number, "subject": previous.short_description} + "\n\n" + description
    data = {"short_description": _truncate(subject or _("(no subject)"), SHORT_MAX),
            "description": description}
    if run.mailbox is not None:
        data.update(category=run.mailbox.default_category, service=run.mailbox.default_service)
    return data


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


# ---- attachments -------------------------------------------------------------------------

def attachments_save(run: MailRun, *, incident: Incident, by, comment: Comment | None = None):
    """Every file and inline image of the mail as an attachment; a file over the size limit or
    of a refused type is skipped and named in one work note, and the mail goes on."""
    skipped = []
    for number, item in enumerate(run.parsed.attachments, start=1):
        upload = ContentFile(item.content, name=attachment_name(item, number))
        upload.content_type = item.content_type
        try:
            with transaction.atomic():
                attachment = attachment_create(incident=incident, by=by, upload=upload,
                                               channel=Channel.EMAIL, comment=comment)
        except InvalidInput as exc:
            skipped.append((upload.name, len(item.content), "; ".join(map(str, exc.errors.values()))
                            or exc.message))
            continue
        run.files_written.append(attachment.file.name)
    if skipped:
        _skipped_note(incident=incident, skipped=skipped)


def attachment_name(item: MailAttachment, number: int) -> str:
    """The file's own name, else one made from its type (inline images often have none)."""
    if item.filename.strip():
        return item.filename
    extension = mimetypes.guess_extension(item.content_type.replace("image/jpg", "image/jpeg"))
    return f"attachment-{number}{extension or '.bin'}"


def _skipped_note(*, incident: Incident, skipped: list[tuple[str, int, str]]) -> None:
    """An internal work note by the mail-intake account (system text, so no notification)."""
    lines = [_("These files of the mail were not attached:")]
    lines += [f"- {name} ({size / 1024 / 1024:.1f} MB): {why}" for name, size, why in skipped]
    lines.append(_("The original mail, with every file, can be downloaded from the inbound "
                   "mail list."))
    author = mail_intake_user()
    comment = Comment.objects.create(incident=incident, author=author, body="\n".join(lines),
                                     visibility=Visibility.INTERNAL, channel=Channel.EMAIL)
    events.event_comment(incident=incident, by=author, channel=Channel.EMAIL, comment=comment)
