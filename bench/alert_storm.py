"""An alert storm: 10,000 Alertmanager deliveries from 8 clients, then wait until processed.

    DATABASE_URL=postgres://…/opsdesk_alertbench python bench/alert_storm.py
        [--alerts 10000] [--fingerprints 300] [--per-group 5] [--clients 8] [--workers 2]
        [--url http://127.0.0.1:8000] [--grouped] [--together] [--accept-only]
        [--app config.wsgi:application] [--loadgen wrk|python]

The storm: F fingerprints in groups of G (one Alertmanager groupKey each). Every fingerprint
fires again and again (repeat notifications, as Alertmanager sends them), in shuffled order;
then every alert of one group in three resolves. What must come out is known in advance:
one incident per group, the fully resolved groups' incidents resolved, every payload stored
and processed, each alert's deliveries counted once. The script checks all of it and prints
accept throughput and latency (p50/p95) and processing throughput (alerts per second from
the first accepted post until the last payload is processed), and the server's CPU per post
while accepting (gunicorn workers + this database's PostgreSQL backends, from /proc: steadier
than throughput on a shared machine). --accept-only stops after accepting and removes the
run's integration and payloads.
"""

import argparse
import json
import os
import random
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
if str(BASE_DIR) not in sys.path:
    sys.path.insert(0, str(BASE_DIR))

# Each run has its own integration, so earlier runs' alerts and incidents never count.
INTEGRATION = f"alert-storm bench {time.strftime('%Y-%m-%d %H:%M:%S')}"


def storm(*, alerts: int, fingerprints: int, per_group: int, grouped: bool,
          rng: random.Random):
    """(firing posts, resolving posts, groups, groups resolved); a post is (body, alerts).

    Ungrouped, every post carries one alert. Grouped, every post is what Alertmanager sends
    for a group: all of the group's alerts in one notification.
    """
    start = datetime.now(timezone.utc) - timedelta(minutes=30)
    groups = [list(range(g, min(g + per_group, fingerprints)))
              for g in range(0, fingerprints, per_group)]
    resolved_groups = [g for n, g in enumerate(groups) if n % 3 == 0]
    resolving_count = sum(len(g) for g in resolved_groups)
    firing_fps = [n % fingerprints for n in range(alerts - resolving_count)]
    if grouped:
        firing_sets = [groups[n % len(groups)]
                       for n in range(len(firing_fps) // per_group)]
        resolving_sets = resolved_groups
    else:
        firing_sets = [[fp] for fp in firing_fps]
        resolving_sets = [[fp] for g in resolved_groups for fp in g]
    firing = [(_body(fps, per_group, "firing", start), len(fps)) for fps in firing_sets]
    rng.shuffle(firing)
    ended = datetime.now(timezone.utc)
    resolving = [(_body(fps, per_group, "resolved", start, ended), len(fps))
                 for fps in resolving_sets]
    return firing, resolving, len(groups), len(resolved_groups)


def _alert(fp: int, per_group: int, status: str, start, ended) -> dict:
    group = fp // per_group
    labels = {"alertname": f"StormAlert{group}", "instance": f"host-{fp}:9100",
              "service": f"svc-{group}", "severity": "warning"}
    return {"status": status, "labels": labels,
            "annotations": {"summary": f"Storm alert {fp} on host-{fp}"},
            "startsAt": start.isoformat().replace("+00:00", "Z"),
            "endsAt": (ended.isoformat().replace("+00:00", "Z") if ended
                       else "0001-01-01T00:00:00Z"),
            "generatorURL": f"http://prometheus.local/graph?g0.expr=storm{fp}",
            "fingerprint": f"storm{fp:05d}"}


def _body(fps: list[int], per_group: int, status: str, start, ended=None) -> bytes:
    group = fps[0] // per_group
    alerts = [_alert(fp, per_group, status, start, ended) for fp in fps]
    return json.dumps({
        "version": "4", "status": status, "receiver": "opsdesk",
        "groupKey": f'{{}}:{{alertname="StormAlert{group}"}}',
        "groupLabels": {"alertname": f"StormAlert{group}"},
        "commonLabels": {"alertname": f"StormAlert{group}", "service": f"svc-{group}"},
        "commonAnnotations": {}, "externalURL": "http://alertmanager.local",
        "alerts": alerts}).encode()


def integration_create() -> str:
    """This run's integration; returns its token."""
    from opsdesk.intake.models import AlertIntegration

    integration = AlertIntegration(name=INTEGRATION, kind="alertmanager",
                                   rate_limit_per_minute=1_000_000, flap_minutes=60)
    token = integration.token_new()
    integration.save()
    return token


def integration_delete() -> None:
    """Remove this run's integration and its payloads (after an accept-only run)."""
    from opsdesk.intake.models import AlertIntegration

    AlertIntegration.objects.filter(name=INTEGRATION).delete()


def post_all(*, url: str, token: str, bodies: list[bytes], clients: int, name: str,
             cpu_meter=None, loadgen: str = "wrk"):
    """Post every body once; with cpu_meter, the result carries the server's CPU seconds.

    loadgen "wrk" posts with Debian's wrk (bench/wrk.py), "python" with bench/loadgen.py's
    threads, which use about as much CPU per post as the server does.
    """
    from contextlib import nullcontext

    from bench import wrk
    from bench.loadgen import run

    path = f"/api/v1/intake/alerts/{token}"
    with cpu_meter() if cpu_meter else nullcontext() as meter:
        if loadgen == "wrk":
            result = wrk.post_bodies(url=url, path=path, bodies=[b for b, _n in bodies],
                                     clients=clients, name=name)
        else:
            result = run(name=name, base_url=url, headers={"Content-Type": "application/json"},
                         make=lambda i, _rng: ("POST", path, bodies[i][0]), clients=clients,
                         seconds=600, max_requests=len(bodies), expect=202)
    result.server_cpu = meter.seconds if meter else None
    return result


def wait_processed(*, expected: int, timeout: float = 900) -> float:
    """Seconds until every payload of the bench integration is out of "pending"."""
    from opsdesk.intake.models import AlertPayload

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pending = AlertPayload.objects.filter(integration__name=INTEGRATION,
                                              state="pending").count()
        total = AlertPayload.objects.filter(integration__name=INTEGRATION).count()
        if total >= expected and pending == 0:
            return time.monotonic()
        time.sleep(0.2)
    raise SystemExit(f"not processed within {timeout:.0f} s: {pending} of {total} pending")


def verify(*, posted: int, alerts: int, fingerprints: int, groups: int,
           resolved_groups: int) -> list[str]:
    """What a person would check after the storm; each line says what held or what did not."""
    from django.db.models import Sum

    from opsdesk.incidents.choices import Status
    from opsdesk.incidents.models import Incident
    from opsdesk.intake.models import Alert, AlertPayload

    payloads = AlertPayload.objects.filter(integration__name=INTEGRATION)
    rows = Alert.objects.filter(integration__name=INTEGRATION)
    incidents = Incident.objects.filter(pk__in=rows.values("incident"))
    checks = [
        ("payloads stored", payloads.count(), posted),
        ("payloads processed", payloads.filter(state="processed").count(), posted),
        ("alerts", rows.count(), fingerprints),
        ("deliveries counted", rows.aggregate(n=Sum("deliveries"))["n"], alerts),
        ("incidents", incidents.count(), groups),
        ("incidents resolved", incidents.filter(status=Status.RESOLVED).count(), resolved_groups),
    ]
    return [f"{'ok ' if got == want else 'BAD'} {what}: {got} (expected {want})"
            for what, got, want in checks]


def extra_workers(count: int) -> list[subprocess.Popen]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
    return [subprocess.Popen([sys.executable, "-m", "opsdesk.cli", "manage", "db_worker",
                              "--queue-name", "*", "--no-reload"], cwd=BASE_DIR, env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
            for _ in range(count)]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--alerts", type=int, default=10_000)
    parser.add_argument("--fingerprints", type=int, default=300)
    parser.add_argument("--per-group", type=int, default=5)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="db_worker processes")
    parser.add_argument("--url", help="a running server (its workers process the payloads)")
    parser.add_argument("--grouped", action="store_true",
                        help="each post carries a whole group's alerts, as Alertmanager sends")
    parser.add_argument("--together", action="store_true",
                        help="process while accepting (default: accept first, then process)")
    parser.add_argument("--accept-only", action="store_true",
                        help="measure accepting only: no processing, no checks after")
    parser.add_argument("--loadgen", choices=["wrk", "python"], default=None,
                        help="what posts the storm: wrk (default when installed) or Python threads")
    parser.add_argument("--app", default="config.wsgi:application",
                        help="the WSGI application gunicorn serves (to measure a candidate)")
    args = parser.parse_args(argv)
    if args.loadgen is None:
        from bench import wrk

        args.loadgen = "wrk" if wrk.available() else "python"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from bench.server import Server, format_memory

    firing, resolving, groups, resolved = storm(
        alerts=args.alerts, fingerprints=args.fingerprints, per_group=args.per_group,
        grouped=args.grouped, rng=random.Random(7))
    posts = len(firing) + len(resolving)
    alert_count = sum(n for _body, n in firing + resolving)
    token = integration_create()
    server = None if args.url else Server(db_worker=False, app=args.app)
    workers = []
    try:
        if server:
            server.__enter__()
            server.wait_ready_url("/api/v1/openapi.json")
        url = args.url or server.url
        if args.together:
            workers = extra_workers(args.workers)
        # Server CPU (gunicorn workers + this database's backends) while accepting; with
        # --together it includes the processing done meanwhile by the workers' queries.
        meter = server.cpu_meter if server else None
        print(f"load generator: {args.loadgen}; load average at start: {_load()}", flush=True)
        started = time.monotonic()
        results = [post_all(url=url, token=token, bodies=firing, clients=args.clients,
                            name="accept firing", cpu_meter=meter, loadgen=args.loadgen),
                   post_all(url=url, token=token, bodies=resolving, clients=args.clients,
                            name="accept resolving", cpu_meter=meter, loadgen=args.loadgen)]
        print(f"load average after accepting: {_load()}", flush=True)
        if args.accept_only:
            report(results, posts=posts, alerts=alert_count, seconds=0, together=False)
            integration_delete()  # its payloads are never processed: leave nothing pending
            return 1 if any(r.errors for r in results) else 0
        if not args.together:  # processing measured on its own, after the storm was accepted
            started = time.monotonic()
            workers = extra_workers(args.workers)
        finished = wait_processed(expected=posts)
        report(results, posts=posts, alerts=alert_count, seconds=finished - started,
               together=args.together)
        if server:
            print(format_memory(server.memory()))
    finally:
        for worker in workers:
            worker.terminate()
            worker.wait(timeout=20)
        if server:
            server.__exit__(None, None, None)
    lines = verify(posted=posts, alerts=alert_count, fingerprints=args.fingerprints,
                   groups=groups, resolved_groups=resolved)
    print("\n".join(lines))
    return 1 if any(line.startswith("BAD") for line in lines) else 0


def _load() -> str:
    return " ".join(f"{n:.2f}" for n in os.getloadavg())


def report(results, *, posts: int, alerts: int, seconds: float, together: bool) -> None:
    per_post = alerts / posts
    print(f"{'scenario':<18} {'clients':>7} {'posts':>6} {'errors':>6} {'posts/s':>8} "
          f"{'alerts/s':>8} {'p50 ms':>7} {'p95 ms':>7} {'CPU ms/post':>11}")
    for r in results:
        cpu = "-" if r.cpu_per_request is None else f"{r.cpu_per_request:.2f}"
        print(f"{r.name:<18} {r.clients:>7} {r.count:>6} {r.errors:>6} {r.rate:>8.1f} "
              f"{r.rate * per_post:>8.1f} {r.percentile(50):>7.2f} {r.percentile(95):>7.2f} "
              f"{cpu:>11}")
        if r.first_error:
            print(f"  first error: {r.first_error[:300]}")
    if seconds <= 0:
        return  # accepting only
    since = "the first post" if together else "the workers' start"
    print(f"processed {alerts} alerts ({posts} posts) in {seconds:.1f} s: "
          f"{alerts / seconds:.1f} alerts/s (from {since} until the last payload was processed)")
    span = processing_span()
    if span:
        print(f"processing span (first to last payload processed): {span:.1f} s: "
              f"{alerts / span:.1f} alerts/s")


def processing_span() -> float:
    """Seconds from the first payload processed to the last: processing without start-up."""
    from django.db.models import Max, Min

    from opsdesk.intake.models import AlertPayload

    times = AlertPayload.objects.filter(integration__name=INTEGRATION).aggregate(
        first=Min("processed_at"), last=Max("processed_at"))
    if not times["first"]:
        return 0.0
    return (times["last"] - times["first"]).total_seconds()


if __name__ == "__main__":
    sys.exit(main())
