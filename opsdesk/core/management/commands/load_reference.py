"""`manage.py load_reference`: create the default code tables that are missing."""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from opsdesk.reference.services import reference_load_defaults


class Command(BaseCommand):
    @property
    def help(self) -> str:  # argparse needs a real string, translated when asked for
        return _("Load the default reference data (codes, categories, priority matrix). "
                 "Rows that exist are left as they are.")

    def handle(self, *args, **options):
        created = reference_load_defaults()
        self.stdout.write(ngettext("Reference data: %(count)d row created.",
                                   "Reference data: %(count)d rows created.",
                                   created) % {"count": created})
