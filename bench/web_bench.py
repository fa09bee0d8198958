"""Benchmark the browser pages over real HTTP: the time each page takes, as each role opens it.

    python bench/web_bench.py                     # starts gunicorn on DATABASE_URL
    python bench/web_bench.py --only queue --markdown

Needs incidents in the database (`manage.py seed_incidents --count N`). Signs in a desk agent,
the busiest engineer, the busiest requester, an incident manager and a process owner (the
last two are made for the run and removed after it), then opens each page from one client,
so the latency is the server's time plus a loopback round trip. The target is issue 3's:
every page renders in under 200 ms of server time with 1M incidents.
"""

import argparse
import os
import random
import sys
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

BASE_DIR = Path(__file__).resolve().parent.parent
if str(BASE_DIR) not in sys.path:
    sys.path.insert(0, str(BASE_DIR))

PAGE_TARGET = 200.0  # p95 ms of server time


@dataclass
class Page:
    """One page, who opens it, and how its path is drawn."""

    name: str
    role: str
    path: str  # may hold {number}, filled with a random visible incident number


PAGES = [
    Page("desk: all open queue", "desk", "/work/open/"),
    Page("desk: unassigned queue", "desk", "/work/unassigned/"),
    Page("desk: open queue, priority 2, group filter", "desk", "/work/open/?priority=2&group={group}"),
    Page("desk: open queue sorted by last update", "desk", "/work/open/?sort=updated_at"),
    Page("desk: queue search 打印机", "desk", "/work/open/?q=" + quote("打印机")),
    Page("desk: logging form", "desk", "/work/log/"),
    Page("desk: requester type-ahead", "desk", "/work/lookup/people/?q=wang"),
    Page("desk: incident page", "desk", "/incidents/{number}/"),
    Page("engineer: my groups", "engineer", "/work/group/"),
    Page("engineer: assigned to me", "engineer", "/work/assigned/"),
    Page("user: my incidents (portal)", "requester", "/portal/"),
    Page("user: report form", "requester", "/portal/report/"),
    Page("manager: overview", "manager", "/manage/"),
    Page("owner: priority matrix", "owner", "/settings/matrix/"),
    Page("owner: support groups", "owner", "/settings/groups/"),
    Page("owner: category tree", "owner", "/settings/categories/"),
]


def sessions_prepare(fx) -> tuple[dict[str, str], list]:
    """A signed-in session cookie per role; returns (cookies, users made for the run)."""
    from django.conf import settings
    from django.test import Client

    from opsdesk.accounts.models import User

    made = [User.objects.create(username=f"bench-{role}", display_name=f"bench {role}", **flags)
            for role, flags in (("manager", {"is_incident_manager": True}),
                                ("owner", {"is_process_owner": True}))]
    people = {"desk": fx.desk, "engineer": fx.engineer, "requester": fx.requester,
              "manager": "bench-manager", "owner": "bench-owner"}
    cookies = {}
    for role, username in people.items():
        client = Client()
        client.force_login(User.objects.get(username=username))
        cookies[role] = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    return cookies, made


def run_pages(*, base_url: str, fx, cookies: dict, seconds: float, max_requests: int,
              warmup: int, only: str = "", cpu_meter=None) -> list:
    """Open each page from one client for `seconds`; one result per page."""
    from bench.loadgen import run

    results = []
    for page in PAGES:
        if only not in page.name:
            continue
        path = page.path.replace("{group}", fx.group)

        def make(i, rng: random.Random, path=path):
            return "GET", path.replace("{number}", rng.choice(fx.numbers)), None

        common = {"base_url": base_url, "make": make, "clients": 1, "expect": 200,
                  "headers": {"Cookie": cookies[page.role], "Accept-Language": "zh-hans"}}
        if warmup:
            run(name="warm-up", seconds=seconds, max_requests=warmup, seed=99, **common)
        with cpu_meter() if cpu_meter else nullcontext() as meter:
            result = run(name=page.name, seconds=seconds, max_requests=max_requests, **common)
        result.server_cpu = meter.seconds if meter else None
        results.append(result)
    return results


def format_table(results, *, markdown: bool = False) -> str:
    head = ["page", "requests", "p50 ms", "p95 ms", "p99 ms", "errors", "cpu ms/req", "target"]
    rows = [[r.name, str(r.count), f"{r.percentile(50):.1f}", f"{r.percentile(95):.1f}",
             f"{r.percentile(99):.1f}", str(r.errors),
             "-" if r.cpu_per_request is None else f"{r.cpu_per_request:.1f}",
             ("ok" if r.count and r.percentile(95) < PAGE_TARGET else "MISS")
             + f" p95<{PAGE_TARGET:.0f}ms"] for r in results]
    if markdown:
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows])
    widths = [max(len(row[i]) for row in [head, *rows]) for i in range(len(head))]
    fmt = "  ".join(f"{{:{'<' if i in (0, 7) else '>'}{w}}}" for i, w in enumerate(widths))
    return "\n".join(fmt.format(*row) for row in [head, *rows])


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    if args.tiny:
        args.seconds, args.max_requests, args.warmup = 0.3, 3, 0
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.db import connections

    from bench.api_bench import environment
    from bench.fixtures import fixtures_prepare, fixtures_release
    from bench.server import Server, bench_run

    print(environment(), flush=True)
    fx = fixtures_prepare()
    cookies, made = sessions_prepare(fx)
    connections.close_all()
    server = None if args.url else Server(workers=args.workers, threads=args.threads,
                                          db_worker=False, access_log=False)
    try:
        bench_run(url=args.url, server=server, token=fx.desk_token,
                  label=f"gunicorn (gthread, {args.workers} workers x {args.threads} threads)",
                  measure=lambda base_url, cpu_meter: run_pages(
                      base_url=base_url, fx=fx, cookies=cookies, seconds=args.seconds,
                      max_requests=args.max_requests, warmup=args.warmup, only=args.only,
                      cpu_meter=cpu_meter),
                  report=lambda r: format_table(r, markdown=args.markdown))
    finally:
        fixtures_release(fx)
        for user in made:
            user.delete()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add = parser.add_argument
    add("--url", help="Benchmark this running server instead of starting gunicorn.")
    add("--workers", type=int, default=2, help="gunicorn worker processes (default 2).")
    add("--threads", type=int, default=4, help="Threads per gunicorn worker (default 4).")
    add("--seconds", type=float, default=8, help="Seconds per page (8).")
    add("--max-requests", type=int, default=2000, help="Upper bound per page.")
    add("--warmup", type=int, default=10, help="Untimed requests before each page (10).")
    add("--only", default="", help="Run only pages whose name contains this text.")
    add("--markdown", action="store_true", help="Print the table as Markdown.")
    add("--tiny", action="store_true", help="A few requests per page (smoke test).")
    return parser


if __name__ == "__main__":
    main()
