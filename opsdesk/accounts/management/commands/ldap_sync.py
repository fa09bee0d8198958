"""`manage.py ldap_sync`: bring every directory account up to date (run it nightly)."""

from django.core.management.base import BaseCommand, CommandError

from opsdesk.accounts.directory.client import DirectoryUnavailable, entries_all, service_connection
from opsdesk.accounts.directory.config import directory_config
from opsdesk.accounts.directory.sync import directory_sync_all


class Command(BaseCommand):
    help = ("Create, update and deactivate accounts from the LDAP / Active Directory "
            "directory. Local-only accounts are never touched; an account single sign-on "
            "created is taken over when it is the same person (same email), and a same user "
            "name with another email is reported as a conflict and left alone.")

    def add_arguments(self, parser):
        parser.add_argument(
            "--allow-empty", action="store_true",
            help="Deactivate every directory account if the directory returns nobody.")

    def handle(self, *args, allow_empty=False, **options):
        config = directory_config()
        if config is None:
            raise CommandError("LDAP is not configured: set OPSDESK_LDAP_URL and the other "
                               "OPSDESK_LDAP_* variables (see README).")
        try:
            conn = service_connection(config)
            try:
                report = directory_sync_all(entries=entries_all(config, conn), config=config,
                                            allow_empty=allow_empty)
            finally:
                conn.unbind()
        except DirectoryUnavailable as error:
            raise CommandError(f"The directory cannot be reached: {error}") from error
        except ValueError as error:
            raise CommandError(f"Nothing changed: {error}. Check OPSDESK_LDAP_USER_SEARCH_BASE "
                               "and OPSDESK_LDAP_USER_FILTER, or pass --allow-empty.") from error
        self._print(report)

    def _print(self, report):
        self.stdout.write(
            f"created {len(report.created)}, updated {len(report.updated)}, unchanged "
            f"{report.unchanged}, deactivated {len(report.deactivated)}, released to single "
            f"sign-on {len(report.released)}, skipped (local accounts) {len(report.skipped)}, "
            f"conflicts {len(report.conflicts)}")
        for label, names in (("created", report.created), ("updated", report.updated),
                             ("deactivated", report.deactivated),
                             ("released", report.released),
                             ("skipped", report.skipped), ("conflicts", report.conflicts)):
            if names:
                self.stdout.write(f"{label}: {', '.join(sorted(names))}")
