"""Run opsdesk's periodic work (the SLA tick every 30 s and more): see opsdesk/core/periodic.py."""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext_lazy

from opsdesk.core.periodic import INTERVAL_SECONDS, periodic_loop


class Command(BaseCommand):
    help = gettext_lazy("Enqueue the SLA tick every 30 seconds until stopped (opsdesk up "
                        "runs it). Several schedulers are harmless: the tick is idempotent.")

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=INTERVAL_SECONDS)
        parser.add_argument("--once", action="store_true",
                            help=gettext_lazy("Enqueue one tick and stop."))

    def handle(self, *args, interval: float, once: bool, **options):
        periodic_loop(interval=interval, once=once)
