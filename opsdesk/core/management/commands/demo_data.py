"""`manage.py demo_data`: create the demo company and print its sign-in accounts."""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.utils.translation import gettext_lazy

from opsdesk.demo.services import demo_company_create

from ..output import accounts_table


class Command(BaseCommand):
    @property
    def help(self) -> str:  # argparse needs a real string, translated when asked for
        return _("Create the demo company 示例科技有限公司 with people, support groups, "
                 "services, configuration items and incidents. Safe to run again.")

    def add_arguments(self, parser):
        parser.add_argument("--incidents", type=int, default=300,
                            help=gettext_lazy("How many incidents to log (default: 300)."))
        parser.add_argument("--seed", type=int, default=0,
                            help=gettext_lazy("Random seed of the incident stories."))

    def handle(self, *args, incidents: int, seed: int, **options):
        result = demo_company_create(incidents=incidents, seed=seed)
        self.stdout.write(ngettext("Demo company ready; %(count)d incident logged.",
                                   "Demo company ready; %(count)d incidents logged.",
                                   result.incidents_created) % {"count": result.incidents_created})
        self.stdout.write(accounts_table(result.accounts))
