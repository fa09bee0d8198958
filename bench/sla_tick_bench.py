"""Time the SLA tick over many open incidents, of which a few have a check due.

    DATABASE_URL=postgres://…/opsdesk_slabench python bench/sla_tick_bench.py [--incidents N]
        [--due D] [--keep]

Seeds N open incidents (bulk) whose clocks run on the shipped P1–P4 policies, with their next
check spread over the coming two days, and D of them due now (each has its response warning
and breach to record, as after a 30 s tick interval on a busy desk). Prints the time of one
tick that records those, of an idle tick (nothing due), and the plan of the claim query.
"""

import argparse
import os
import random
import sys
import time
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
if str(BASE_DIR) not in sys.path:
    sys.path.insert(0, str(BASE_DIR))


def seed(*, incidents: int, due: int, rng: random.Random) -> None:
    """Replace the bench incidents with N open ones, D of them due now."""
    from django.db import connection
    from django.utils import timezone

    from opsdesk.accounts.models import User
    from opsdesk.incidents.models import Incident
    from opsdesk.sla.models import SlaPolicy

    user, _new = User.objects.get_or_create(username="slabench", defaults={"email": "b@x"})
    Incident.objects.filter(number__startswith="SLAB").delete()
    now, rows = timezone.now(), []
    terms = {p.code: {"sla_response_calendar_id": p.response_calendar_id,  # the snapshot
                      "sla_response_seconds": p.response_seconds,
                      "sla_resolution_calendar_id": p.resolution_calendar_id,
                      "sla_resolution_seconds": p.resolution_seconds,
                      "sla_warn_first_percent": p.warn_first_percent,
                      "sla_warn_second_percent": p.warn_second_percent}
             for p in SlaPolicy.objects.all()}
    for n in range(incidents):
        level = rng.choice((1, 2, 3, 4))
        registered = now - timedelta(minutes=rng.randrange(1, 600))
        next_check = now - timedelta(seconds=5) if n < due else \
            now + timedelta(seconds=rng.randrange(60, 172_800))
        rows.append(Incident(
            number=f"SLAB{n:07d}", requester=user, short_description="bench", impact_id=4,
            urgency_id=3, priority_id=level, sla_policy_id=f"P{level}", status=20,
            registered_at=registered, response_due_at=next_check if n < due else
            next_check + timedelta(hours=1), resolution_due_at=now + timedelta(days=3),
            sla_next_check_at=next_check, **terms[f"P{level}"]))
        if len(rows) == 5000:
            Incident.objects.bulk_create(rows)
            rows = []
    Incident.objects.bulk_create(rows)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE) incidents_incident")


def timed_tick() -> tuple[float, dict]:
    from opsdesk.sla.tick import sla_tick_run

    started = time.perf_counter()
    recorded = sla_tick_run()
    return time.perf_counter() - started, dict(recorded)


def claim_plan() -> str:
    from django.db import connection
    from django.utils import timezone

    from opsdesk.sla.tick import _claim

    sql, params = _claim(now=timezone.now(), limit=200).query.sql_with_params()
    with connection.cursor() as cursor:
        prefix = "EXPLAIN ANALYZE " if connection.vendor == "postgresql" else "EXPLAIN "
        cursor.execute(prefix + sql, params)
        return "\n".join(str(row[0]) for row in cursor.fetchall())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=100_000)
    parser.add_argument("--due", type=int, default=100)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from opsdesk.incidents.models import Incident
    from opsdesk.reference.services import reference_load_defaults

    call_command("migrate", verbosity=0)
    reference_load_defaults()
    started = time.perf_counter()
    seed(incidents=args.incidents, due=args.due, rng=random.Random(4))
    print(f"seeded {args.incidents} open incidents ({args.due} due) in "
          f"{time.perf_counter() - started:.1f} s on {connection.vendor}")
    print(f"open incidents in the table: {Incident.objects.filter(status__lt=40).count()}")
    busy, recorded = timed_tick()
    print(f"tick with {args.due} due: {busy * 1000:.0f} ms, recorded {recorded}")
    idle, recorded = timed_tick()
    print(f"idle tick (nothing due): {idle * 1000:.1f} ms, recorded {recorded}")
    with transaction.atomic():
        print("claim query plan:\n" + claim_plan())


if __name__ == "__main__":
    main()
