"""`manage.py intake_poll [--mailbox NAME] [--process]`: poll mailboxes now, in this process."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from opsdesk.intake.models import InboundMail, Mailbox
from opsdesk.intake.services.mail import inbound_mail_process, mailbox_poll


class Command(BaseCommand):
    @property
    def help(self) -> str:  # argparse needs a real string, translated when asked for
        return _("Poll the active mailboxes (or one) now, whatever their interval, and "
                 "optionally process the stored mail at once instead of in the background.")

    def add_arguments(self, parser):
        parser.add_argument("--mailbox", metavar="NAME", help=_("only this mailbox"))
        parser.add_argument("--process", action="store_true",
                            help=_("process the mail waiting in these mailboxes here and now"))

    def handle(self, *args, **options):
        mailboxes = self._mailboxes(options["mailbox"])
        for mailbox in mailboxes:
            new = mailbox_poll(mailbox=mailbox)
            mailbox.refresh_from_db(fields=["last_error"])
            self.stdout.write(ngettext("%(mailbox)s: %(count)d new mail",
                                       "%(mailbox)s: %(count)d new mails", new) % {
                "mailbox": mailbox, "count": new})
            if mailbox.last_error:
                self.stderr.write(_("%(mailbox)s: %(error)s") % {
                    "mailbox": mailbox, "error": mailbox.last_error})
        if options["process"]:
            self._process(mailboxes)

    def _mailboxes(self, name: str | None) -> list[Mailbox]:
        if name is None:
            return list(Mailbox.objects.filter(is_active=True))
        mailbox = Mailbox.objects.filter(name=name).first()
        if mailbox is None:
            raise CommandError(_("No mailbox is named “%(name)s”.") % {"name": name})
        return [mailbox]

    def _process(self, mailboxes: list[Mailbox]) -> None:
        waiting = InboundMail.objects.filter(mailbox__in=mailboxes,
                                             state=InboundMail.State.RECEIVED).order_by("id")
        for mail in waiting:
            mail = inbound_mail_process(mail=mail)
            self.stdout.write(_("%(mail)s: %(state)s") % {
                "mail": mail, "state": mail.get_state_display()})
