"""`manage.py opsdesk_rotate_secrets`: write every encrypted secret again with the first key."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from opsdesk.core.crypto import DecryptionError
from opsdesk.core.fields import encrypted_fields_rotate


class Command(BaseCommand):
    @property
    def help(self) -> str:  # argparse needs a real string, translated when asked for
        return _("Encrypt every stored secret again with the first key of "
                 "OPSDESK_ENCRYPTION_KEYS (after adding a new key in front).")

    def handle(self, *args, **options):
        try:
            counts = encrypted_fields_rotate()
        except DecryptionError as error:
            raise CommandError(str(error)) from None
        for name, count in counts.items():
            self.stdout.write(_("%(field)s: %(count)d re-encrypted") % {
                "field": name, "count": count})
