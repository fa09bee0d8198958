"""Enqueue the SLA tick every 30 s: django-tasks has no scheduler of its own."""

import time

from django.core.management.base import BaseCommand
from django.utils.translation import gettext_lazy

INTERVAL_SECONDS = 30


class Command(BaseCommand):
    help = gettext_lazy("Enqueue the SLA tick every 30 seconds until stopped (opsdesk up "
                        "runs it). Several schedulers are harmless: the tick is idempotent.")

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=INTERVAL_SECONDS)
        parser.add_argument("--once", action="store_true",
                            help=gettext_lazy("Enqueue one tick and stop."))

    def handle(self, *args, interval: float, once: bool, **options):
        from opsdesk.sla.tasks import sla_tick

        while True:
            started = time.monotonic()
            sla_tick.enqueue()
            if once:
                return
            time.sleep(max(interval - (time.monotonic() - started), 0))
