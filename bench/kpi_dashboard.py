"""Time the KPI dashboard (issue 8): every KPI for a period, against the period before.

    DATABASE_URL=postgres://…/opsdesk_hd python bench/kpi_dashboard.py
        [--seed-incidents N] [--rebuild] [--rounds 20] [--only TEXT] [--explain]

Uses the incidents already in the database (seed them with `manage.py seed_incidents --count
1000000`, or --seed-incidents N here). Seeding bypasses the services, so the KPI facts and
rollup are counted once from scratch (`kpi_rollup --rebuild`, timed) when they are missing or
with --rebuild. Then, as the process owner, in-process (no HTTP), after one warm-up round:

- "dashboard": what /measures/ computes: all 22 KPIs for the last 30 days and for the 30 days
  before (the trend arrows), unfiltered and filtered by one group, category, service, priority
  and channel, and by a group and a priority together (summed from the facts, not the rollup);
- "page": the /measures/ page itself, rendered by the test client (HTML included), and the
  process owner's dashboard (/dashboards/process/: KPIs against targets, 12-month trends,
  breakdowns) and the live operations dashboard;
- "kpi page": /measures/<code>/ (12-month trend, five breakdowns) for a rate and a median KPI;
- "trend 12 months": kpi_trend of every KPI kind; "tick": counting one busy day again.

Prints p50/p95/max in ms per scenario.
"""

import argparse
import os
import sys
import time
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
if str(BASE_DIR) not in sys.path:
    sys.path.insert(0, str(BASE_DIR))


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, int(round(p / 100 * len(ordered) + 0.5)) - 1))]


def timed(fn, rounds: int) -> list[float]:
    """Latencies in ms of `rounds` calls (after one warm-up call)."""
    fn()
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return times


def busiest(column: str):
    """The value of `column` (a fact dimension) with the most incidents."""
    from django.db.models import Count

    from opsdesk.measures.models import IncidentFact

    row = (IncidentFact.objects.exclude(**{f"{column}__isnull": True}).values(column)
           .annotate(n=Count("incident_id")).order_by("-n").first())
    return row[column] if row else None


def scenarios(owner, today):
    """(name, callable) pairs; each callable does what one request would."""
    from django.test import Client

    from opsdesk.measures.kpis import KpiFilters, kpi_trend, kpi_values

    start, end = today - timedelta(days=29), today + timedelta(days=1)
    base = KpiFilters(start=start, end=end)
    group, category, service = (busiest(c) for c in ("group_id", "category_id", "service_id"))
    variants = {
        "dashboard, unfiltered": base,
        "dashboard, one group": KpiFilters(start=start, end=end, group_id=group),
        "dashboard, one category": KpiFilters(start=start, end=end, category_id=category),
        "dashboard, one service": KpiFilters(start=start, end=end, service_id=service),
        "dashboard, P2": KpiFilters(start=start, end=end, priority_level=2),
        "dashboard, channel phone": KpiFilters(start=start, end=end, channel="01"),
        "dashboard, group + P3 (facts)": KpiFilters(start=start, end=end, group_id=group,
                                                   priority_level=3),
    }
    result = []
    for name, filters in variants.items():
        result.append((name, lambda f=filters: (kpi_values(filters=f),
                                                kpi_values(filters=f.previous()))))
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(owner)

    def get(url):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)

    result.append(("page /measures/", lambda: get("/measures/")))
    result.append(("page /dashboards/process/ (12-month trends)",
                   lambda: get("/dashboards/process/")))
    result.append(("page /dashboards/operations/", lambda: get("/dashboards/operations/")))
    result.append(("kpi page: resolution on time", lambda: get("/measures/resolution_on_time/")))
    result.append(("kpi page: median time to resolve (business)",
                   lambda: get("/measures/resolution_median_business/")))
    for code in ("resolution_on_time", "resolution_mean_business", "resolution_median_business",
                 "satisfaction_rate"):
        result.append((f"trend 12 months: {code}",
                       lambda c=code: kpi_trend(code=c, filters=base, months=12)))
    return result


def rebuild_if_needed(force: bool) -> None:
    from django.db import connection

    from opsdesk.measures.models import IncidentFact
    from opsdesk.measures.rollups import rollup_rebuild

    if not force and IncidentFact.objects.exists():
        return
    started = time.perf_counter()
    days = rollup_rebuild(progress=lambda day, n: print(f"  … {n} days, up to {day}",
                                                        flush=True) if n % 62 == 0 else None)
    elapsed = time.perf_counter() - started
    facts = IncidentFact.objects.count()
    print(f"rebuild: {days} days, {facts:,} facts in {elapsed:.0f} s "
          f"({facts / elapsed:,.0f} incidents/s)")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE) measures_incidentfact")
            cursor.execute("VACUUM (ANALYZE) measures_kpidaily")


def tick_one_day(today) -> float:
    """Mark the busiest recent day dirty and time the tick that counts it again (ms)."""
    from django.db.models import Count

    from opsdesk.measures.models import IncidentFact
    from opsdesk.measures.rollups import days_mark, rollup_tick

    day = (IncidentFact.objects.filter(day__gte=today - timedelta(days=30)).values("day")
           .annotate(n=Count("incident_id")).order_by("-n").first())
    days_mark([day["day"]])
    started = time.perf_counter()
    rollup_tick()
    return (time.perf_counter() - started) * 1000, day["n"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed-incidents", type=int, default=0,
                        help="Seed this many incidents first (manage.py seed_incidents).")
    parser.add_argument("--rebuild", action="store_true",
                        help="Count the KPI facts and rollup again even if they exist.")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--only", default="", help="Only scenarios containing this text.")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/opsdesk_hd")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from opsdesk.accounts.models import User
    from opsdesk.incidents.models import Incident
    from opsdesk.measures.models import IncidentFact, KpiDaily

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    if args.seed_incidents:
        call_command("seed_incidents", count=args.seed_incidents)
    rebuild_if_needed(args.rebuild)
    owner, _created = User.objects.get_or_create(
        username="kpi-bench-owner", defaults={"is_process_owner": True})
    today = timezone.localdate()
    print(f"{connection.vendor}: {Incident.objects.count():,} incidents, "
          f"{IncidentFact.objects.count():,} facts, {KpiDaily.objects.count():,} rollup rows; "
          f"{args.rounds} rounds; load average {os.getloadavg()[0]:.1f}\n")
    print("| scenario | p50 ms | p95 ms | max ms |")
    print("|---|---:|---:|---:|")
    for name, fn in scenarios(owner, today):
        if args.only and args.only not in name:
            continue
        times = timed(fn, args.rounds)
        print(f"| {name} | {percentile(times, 50):.0f} | {percentile(times, 95):.0f} | "
              f"{max(times):.0f} |", flush=True)
    if not args.only or "tick" in args.only:
        elapsed, count = tick_one_day(today)
        print(f"| tick: one day of {count:,} incidents counted again | {elapsed:.0f} | | |")
    print(f"\nload average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
