"""manage.py notifications_send: one sending pass over the due deliveries, in this process."""

from django.core.management.base import BaseCommand

from opsdesk.notifications.sending import deliveries_send_due


class Command(BaseCommand):
    help = "Send every due notification delivery once (retries included) and report the outcome."

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=500,
                            help="at most this many deliveries in this pass (default 500)")

    def handle(self, *args, **options):
        report = deliveries_send_due(limit=options["limit"])
        self.stdout.write(
            f"sent {report.sent}, failed and waiting {report.retrying}, dead {report.dead}, "
            f"left for another worker {report.skipped}, deferred by rate limits {report.deferred}")
