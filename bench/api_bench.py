"""Benchmark the REST API over real HTTP: create throughput, get-by-number and list latency.

    python bench/api_bench.py                     # starts gunicorn + db_worker on DATABASE_URL
    python bench/api_bench.py --url http://127.0.0.1:8000   # a server that already runs
    python bench/api_bench.py --markdown --json var/bench.json

Needs incidents in the database (`manage.py seed_incidents --count N`). Creates three API
tokens (revoked at the end) and, in the create scenario, real incidents. Prints one row per
scenario: requests, rate, p50/p95/p99 latency and the target it is held against, then the
memory of the server processes. bench/README.md explains the scenarios and the figures.
"""

import argparse
import json
import os
import platform
import random
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlencode

BASE_DIR = Path(__file__).resolve().parent.parent
if str(BASE_DIR) not in sys.path:
    sys.path.insert(0, str(BASE_DIR))

if TYPE_CHECKING:
    from bench.loadgen import RequestMaker, Result

CREATE_TARGET = (25.0, 600.0)  # p95 ms, req/s at 8 clients
LIST_TARGET, LIST_AIM = 50.0, 16.0  # p95 ms
SHORTS = ["VPN 无法连接，提示认证失败", "Outlook cannot send or receive", "打印机卡纸",
          "ERP 登录报错 500", "Laptop does not power on", "申请共享盘读写权限",
          "Weak Wi-Fi on floor 5", "邮箱空间已满"]


@dataclass
class Scenario:
    """One kind of request, who sends it, and what answer counts as success."""

    name: str
    token: str
    make: "RequestMaker"
    kind: str = "list"  # create | get | list
    expect: int = 200


def list_queries(fx, cursor: str) -> list[tuple[str, str, dict]]:
    """(name, caller, query parameters) of the lists people watch; callers: desk, engineer,
    requester (a plain user, whose view restrict() narrows)."""
    queue = {"status": "open", "group": fx.group}
    return [
        ("list: newest first, no filter", "desk", {}),
        (f"queue: status=open&group={fx.group}", "desk", queue),
        ("queue page 2 (cursor)", "desk", {**queue, "cursor": cursor}),
        ("my work: assignee=me&status=in_progress", "engineer",
         {"assignee": "me", "status": "in_progress"}),
        (f"group queue as engineer: status=open&group={fx.engineer_group}", "engineer",
         {"status": "open", "group": fx.engineer_group}),
        ("P1 open: priority=1&status=open", "desk", {"priority": 1, "status": "open"}),
        (f"requester={fx.requester}", "desk", {"requester": fx.requester}),
        ("portal: requester=me", "requester", {"requester": "me"}),
        ("sort=-updated_at", "desk", {"sort": "-updated_at"}),
        ("open by last update: status=open&sort=-updated_at", "desk",
         {"status": "open", "sort": "-updated_at"}),
    ]


def scenarios(fx, cursor: str) -> list[Scenario]:
    """The requests of a service desk's day: log, open, and the queues people watch."""
    tokens = {"desk": fx.desk_token, "engineer": fx.engineer_token,
              "requester": fx.requester_token}

    def get(params: dict) -> "RequestMaker":
        path = "/api/v1/incidents" + (f"?{urlencode(params)}" if params else "")
        return lambda i, rng: ("GET", path, None)

    return [
        Scenario("create: POST /incidents (desk)", fx.desk_token,
                 lambda i, rng: ("POST", "/api/v1/incidents", _create_body(fx, i, rng)),
                 kind="create", expect=201),
        Scenario("get: /incidents/{number}", fx.desk_token, lambda i, rng: (
            "GET", f"/api/v1/incidents/{rng.choice(fx.numbers)}", None), kind="get"),
        *[Scenario(name, tokens[caller], get(params))
          for name, caller, params in list_queries(fx, cursor)],
    ]


def _create_body(fx, i: int, rng: random.Random) -> bytes:
    return json.dumps({
        "short_description": f"{rng.choice(SHORTS)} (bench {i})",
        "description": "用户反映问题，已尝试重启，问题依旧。 Created by bench/api_bench.py.",
        "requester": rng.choice(fx.requesters), "category": rng.choice(fx.categories),
        "service": rng.choice(fx.services), "impact": rng.choice((2, 3, 4, 4)),
        "urgency": rng.choice((2, 3, 3, 4)), "source": rng.choice(("01", "02", "03")),
    }, ensure_ascii=False).encode()


def run_all(*, base_url: str, fx, create_clients: int, read_clients: list[int],
            seconds: float, create_seconds: float, max_requests: int, warmup: int,
            skip_create: bool = False, only: str = "",
            cpu_meter: Callable[[], AbstractContextManager] | None = None) -> list["Result"]:
    """Warm each scenario up, then measure it; create at create_clients, reads at each count.

    cpu_meter, when given, makes a context manager whose `seconds` is the server side's CPU
    during the run; each result then carries it.
    """
    from bench.loadgen import run

    cursor = _first_page_cursor(base_url, fx)
    results = []
    for scenario in scenarios(fx, cursor):
        if (skip_create and scenario.kind == "create") or only not in scenario.name:
            continue
        headers = {"Authorization": f"Bearer {scenario.token}",
                   "Content-Type": "application/json"}
        counts = [create_clients] if scenario.kind == "create" else read_clients
        for clients in counts:
            common = {"base_url": base_url, "headers": headers, "make": scenario.make,
                      "clients": clients, "expect": scenario.expect}
            if warmup:
                run(name="warm-up", seconds=seconds, max_requests=warmup, seed=99, **common)
            with cpu_meter() if cpu_meter else nullcontext() as meter:
                result = run(name=scenario.name, max_requests=max_requests, seed=clients,
                             seconds=create_seconds if scenario.kind == "create" else seconds,
                             **common)
            result.server_cpu = meter.seconds if meter else None
            results.append(result)
    return results


def _first_page_cursor(base_url: str, fx) -> str:
    import urllib.request

    request = urllib.request.Request(
        f"{base_url}/api/v1/incidents?{urlencode({'status': 'open', 'group': fx.group})}",
        headers={"Authorization": f"Bearer {fx.desk_token}"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.load(response).get("next_cursor") or ""


def _target(result: "Result") -> str:
    p95 = result.percentile(95)
    if result.name.startswith("create"):
        limit, rate = CREATE_TARGET
        ok = p95 < limit and (result.clients < 8 or result.rate >= rate)
        return f"{'ok ' if ok else 'MISS'} p95<{limit:.0f}ms, >={rate:.0f}/s@8"
    if result.name.startswith("get"):
        return "(figure only)"
    verdict = "ok " if p95 < LIST_TARGET else "MISS"
    return f"{verdict} p95<{LIST_TARGET:.0f}ms ({'aim ok' if p95 <= LIST_AIM else 'aim miss'})"


def format_table(results: list["Result"], *, markdown: bool = False) -> str:
    """One line per result: scenario, clients, requests, req/s, p50/p95/p99 ms, errors, target."""
    head = ["scenario", "clients", "requests", "req/s", "p50 ms", "p95 ms", "p99 ms", "errors",
            "cpu ms/req", "target"]
    rows = [[r.name, str(r.clients), str(r.count), f"{r.rate:.0f}", f"{r.percentile(50):.1f}",
             f"{r.percentile(95):.1f}", f"{r.percentile(99):.1f}", str(r.errors),
             "-" if r.cpu_per_request is None else f"{r.cpu_per_request:.1f}", _target(r)]
            for r in results]
    if markdown:
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows])
    widths = [max(len(row[i]) for row in [head, *rows]) for i in range(len(head))]
    fmt = "  ".join(f"{{:{'<' if i in (0, 9) else '>'}{w}}}" for i, w in enumerate(widths))
    return "\n".join(fmt.format(*row) for row in [head, *rows])


def environment() -> str:
    """Machine, database and data size, for the report's header."""
    from django.db import connection

    from opsdesk.incidents.models import Incident, IncidentEvent

    with connection.cursor() as cursor:
        cursor.execute({"postgresql": "SELECT version()",
                        "mysql": "SELECT CONCAT('MySQL ', version())"}
                       .get(connection.vendor, "SELECT 'SQLite ' || sqlite_version()"))
        db_version = cursor.fetchone()[0].split(" on ")[0]
    memory_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (f"machine: {os.cpu_count()} CPUs, {memory_gib:.1f} GiB RAM, "
            f"{platform.system()} {platform.release()}; Python {platform.python_version()}\n"
            f"database: {db_version}; {Incident.objects.count():,} incidents, "
            f"{IncidentEvent.objects.count():,} history events")


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    if args.tiny:
        args.seconds, args.create_seconds, args.max_requests, args.warmup = 0.3, 0.3, 5, 0
        args.create_clients, args.read_clients = 1, "1"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.db import connections

    from bench.fixtures import fixtures_prepare, fixtures_release
    from bench.server import Server, bench_run

    print(environment(), flush=True)
    fx = fixtures_prepare()
    connections.close_all()  # the server processes hold the connections from here on
    server = None if args.url else Server(workers=args.workers, threads=args.threads,
                                          db_worker=not args.no_db_worker,
                                          access_log=args.access_log, app=args.app)
    results = []

    def measure(base_url, cpu_meter):
        results.extend(run_all(
            base_url=base_url, fx=fx, create_clients=args.create_clients,
            read_clients=[int(n) for n in args.read_clients.split(",")], seconds=args.seconds,
            create_seconds=args.create_seconds, max_requests=args.max_requests,
            warmup=args.warmup, skip_create=args.skip_create, only=args.only,
            cpu_meter=cpu_meter))
        return results

    try:
        bench_run(url=args.url, server=server, token=fx.desk_token,
                  label=f"gunicorn {args.app} (gthread, {args.workers} workers x "
                        f"{args.threads} threads)",
                  measure=measure, report=lambda r: format_table(r, markdown=args.markdown))
        if args.json:
            Path(args.json).write_text(json.dumps([r.as_dict() for r in results], indent=2))
    finally:
        fixtures_release(fx)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add = parser.add_argument
    add("--url", help="Benchmark this running server instead of starting gunicorn.")
    add("--workers", type=int, default=2, help="gunicorn worker processes (default 2).")
    add("--threads", type=int, default=4, help="Threads per gunicorn worker (default 4).")
    add("--app", default="config.wsgi:application",
        help="WSGI application to serve, e.g. a module that applies a candidate change.")
    add("--no-db-worker", action="store_true", help="Don't start the background worker.")
    add("--access-log", action="store_true", help="Let gunicorn log every request.")
    add("--create-clients", type=int, default=8, help="Concurrent clients creating (8).")
    add("--read-clients", default="1,8", help="Concurrent readers, comma-separated (1,8).")
    add("--seconds", type=float, default=10, help="Seconds per read scenario (10).")
    add("--create-seconds", type=float, default=20, help="Seconds of creating (20).")
    add("--max-requests", type=int, default=50000, help="Upper bound per scenario.")
    add("--warmup", type=int, default=30, help="Untimed requests before each scenario (30).")
    add("--skip-create", action="store_true", help="Leave the data as it is.")
    add("--only", default="", help="Run only scenarios whose name contains this text.")
    add("--markdown", action="store_true", help="Print the table as Markdown.")
    add("--json", help="Also write the figures to this file.")
    add("--tiny", action="store_true", help="A few requests per scenario (smoke test).")
    return parser


if __name__ == "__main__":
    main()
