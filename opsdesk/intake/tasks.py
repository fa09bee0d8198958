"""Background work of mail intake (Django Tasks API); alert tasks live in tasks_alerts.py."""

from django_tasks import task

from .models import InboundMail
from .services.mail import inbound_mail_process, inbound_mails_requeue, mailboxes_poll_due


@task()
def inbound_mail_process_task(mail_id: int) -> str:
    """Process one stored mail (queued when it is stored); returns its new state."""
    mail = InboundMail.objects.filter(pk=mail_id).first()
    if mail is None:
        return "missing"
    return inbound_mail_process(mail=mail).state


@task()
def mailboxes_poll() -> int:
    """Poll every active mailbox that is due, and re-queue mails whose task was lost (periodic).

    Safe on several workers: each mailbox is claimed by one poller, and storing and processing
    are idempotent.
    """
    new = mailboxes_poll_due()
    inbound_mails_requeue()
    return new
