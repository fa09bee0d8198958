"""Count the KPI rollup again: the dirty days (what the tick does), or every day."""

from django.core.management.base import BaseCommand
from django.utils.dateparse import parse_date

from opsdesk.measures.rollups import rollup_rebuild, rollup_tick


class Command(BaseCommand):
    help = ("Count the KPI facts and daily rollup again: the days marked dirty, or with "
            "--rebuild every day (after seeding incidents in bulk, which bypasses the hooks).")

    def add_arguments(self, parser):
        parser.add_argument("--rebuild", action="store_true", help="count every day again")
        parser.add_argument("--since", help="with --rebuild: from this date (YYYY-MM-DD)")

    def handle(self, *args, rebuild=False, since=None, **options):
        if not rebuild:
            self.stdout.write(f"{rollup_tick()} dirty days counted again.")
            return
        start = parse_date(since) if since else None

        def progress(day, count):
            if options["verbosity"] > 1:
                self.stdout.write(f"{count} days, up to {day}")

        self.stdout.write(f"{rollup_rebuild(since=start, progress=progress)} days counted.")
