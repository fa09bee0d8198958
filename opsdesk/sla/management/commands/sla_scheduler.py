"""Enqueue the SLA tick every 30 s: django-tasks has no scheduler of its own."""

import logging
import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections
from django.utils.translation import gettext_lazy

INTERVAL_SECONDS = 30
logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = gettext_lazy("Enqueue the SLA tick every 30 seconds until stopped (opsdesk up "
                        "runs it). Several schedulers are harmless: the tick is idempotent.")

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=INTERVAL_SECONDS)
        parser.add_argument("--once", action="store_true",
                            help=gettext_lazy("Enqueue one tick and stop."))

    def handle(self, *args, interval: float, once: bool, **options):
        scheduler_loop(interval=interval, once=once)


def scheduler_loop(*, interval: float = INTERVAL_SECONDS, once: bool = False) -> None:
    """Enqueue sla_tick every `interval` seconds; a failed enqueue is logged and retried."""
    from opsdesk.sla.tasks import sla_tick

    while True:
        started = time.monotonic()
        try:
            sla_tick.enqueue()
        except Exception:  # the database may be restarting: try again next interval
            logger.exception("Could not enqueue the SLA tick")
        finally:
            close_old_connections()
        if once:
            return
        time.sleep(max(interval - (time.monotonic() - started), 0))
