"""manage.py audit_verify: check the audit log's and the incident history's hash chains."""

from django.core.management.base import BaseCommand, CommandError

from opsdesk.audit.verify import verify_all


class Command(BaseCommand):
    help = ("Verify the hash chains of the audit log and of every incident's history; report "
            "the first broken link of each broken chain. Exit status 1 when one is broken.")

    def add_arguments(self, parser):
        parser.add_argument("--max-reported", type=int, default=20,
                            help="List at most this many broken chains (default 20).")

    def handle(self, *args, max_reported: int, **options):
        report = verify_all(max_reported=max_reported)
        self.stdout.write(f"audit log: {report.audit_entries} entries; incident history: "
                          f"{report.incident_entries} entries in {report.incident_chains} "
                          f"intact chains")
        if report.ok:
            self.stdout.write(self.style.SUCCESS("OK: every chain verifies."))
            return
        for broken in report.broken:
            self.stderr.write(f"BROKEN {broken.describe()}")
        if report.broken_left:
            self.stderr.write(f"… and {report.broken_left} more broken incident chains.")
        raise CommandError(f"{len(report.broken) + report.broken_left} broken chain(s).",
                           returncode=1)
