"""Scale-out check: two web instances and two workers on one PostgreSQL and one Redis, under a
mixed load, and proof that nothing is duplicated and nothing is lost.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/opsdesk_scaleout \
    REDIS_URL=redis://127.0.0.1:6379/0 [OPSDESK_TASKS_BACKEND=rq] \
        python bench/scaleout.py [--creates 400] [--alerts 2000] [--pages 400] [--clients 4]
        [--one-port]

What runs (each a process of its own, started the way `opsdesk up` starts them):
- two gunicorn instances on two ports (bench/server.py), the client sends its requests to
  them in turn (round robin), as a load balancer in front of one public port would; with
  --one-port, one gunicorn whose two worker processes share one port instead;
- two workers of the configured tasks backend (db_worker, or rqworker with
  OPSDESK_TASKS_BACKEND=rq) and the periodic loop (`manage.py sla_scheduler`);
- an SMTP server on 127.0.0.1 that keeps every message the workers send.

The load, all at once: API creates with Idempotency-Keys (every key is sent twice, to both
instances at about the same time: a client's retry), an Alertmanager storm (bench/
alert_storm.py: every alert fires again and again, a third of the groups resolve), the
public Alertmanager payloads of ../shared/fixtures/alerts posted --repeats times each, and
page views by signed-in people. Then it checks: every 201 names an incident that exists once, each
key made one incident, the storm gave exactly the incidents it should, every payload was
processed, every notification was sent once (one SMTP message per delivery, no Message-ID
twice), no request failed, and no process died. Exit code 1 when any check fails.
"""

import argparse
import json
import logging
import os
import random
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
if str(BASE_DIR) not in sys.path:
    sys.path.insert(0, str(BASE_DIR))

RUN = uuid.uuid4().hex[:8]  # tags this run's people, incidents and keys
logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every SMTP line


# --- the mail the workers send ----------------------------------------------------------------


class MailSink:
    """A real SMTP server on 127.0.0.1 keeping every message (aiosmtpd)."""

    def __init__(self):
        from aiosmtpd.controller import Controller

        from bench.server import free_port

        self.messages: list = []
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.original_content or envelope.content,
                                                policy=policy.default))
        return "250 Message accepted"

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()


# --- the processes ----------------------------------------------------------------------------


class Cluster:
    """Two (or --web) gunicorn instances, --workers workers and the periodic loop."""

    def __init__(self, *, web: int, workers: int, threads: int, scheduler: bool,
                 one_port: bool = False, ready_timeout: float = 180.0):
        from bench.server import Server

        # one_port: one gunicorn whose `web` worker processes share one listening port (the
        # kernel hands each connection to one of them); else `web` instances on their own ports.
        self.servers = ([Server(workers=web, threads=threads, db_worker=False)] if one_port
                        else [Server(workers=1, threads=threads, db_worker=False)
                              for _ in range(web)])
        self.worker_count, self.with_scheduler = workers, scheduler
        self.ready_timeout = ready_timeout
        self.others: list[subprocess.Popen] = []

    @property
    def urls(self) -> list[str]:
        return [server.url for server in self.servers]

    def __enter__(self):
        try:
            self._start()
        except BaseException:
            self.__exit__(None, None, None)  # `with` does not call it when __enter__ fails
            raise
        return self

    def _start(self) -> None:
        from opsdesk.core.management.commands.up import _worker_argv

        for server in self.servers:
            server.__enter__()
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings",
               "PYTHONUNBUFFERED": "1"}
        argvs = [_worker_argv() for _ in range(self.worker_count)]
        if self.with_scheduler:
            argvs.append([sys.executable, "-m", "opsdesk.cli", "manage", "sla_scheduler"])
        self.others = [subprocess.Popen(argv, cwd=BASE_DIR, env=env, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL) for argv in argvs]
        for server in self.servers:
            server.wait_ready_url("/login/", timeout=self.ready_timeout)  # cheap, no sign-in

    def died(self) -> list[str]:
        """The processes that stopped on their own."""
        dead = [f"gunicorn at {s.url}" for s in self.servers
                if s.processes["gunicorn"].poll() is not None]
        return dead + [" ".join(p.args[-3:]) for p in self.others if p.poll() is not None]

    def __exit__(self, *exc):
        for process in self.others:
            process.terminate()
        for process in self.others:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for server in self.servers:
            if server.processes:
                server.__exit__(None, None, None)


# --- what the load needs ----------------------------------------------------------------------


@dataclass
class Actors:
    """This run's people: a desk agent with an API token, signed-in sessions, some incidents."""

    token: str
    desk_cookie: str
    requester_cookie: str
    requester: str
    category: str
    numbers: list[str]
    made: list = field(default_factory=list)


def actors_prepare() -> Actors:
    """Create this run's desk agent and requester, their sessions and three incidents to view."""
    from django.conf import settings
    from django.test import Client

    from opsdesk.accounts.models import User
    from opsdesk.accounts.services import api_token_create
    from opsdesk.incidents.services import incident_create
    from opsdesk.reference.models import Category

    desk = User.objects.create(username=f"scaleout-desk-{RUN}", is_service_desk=True,
                               email=f"desk-{RUN}@example.com", display_name="scale-out desk")
    requester = User.objects.create(username=f"scaleout-user-{RUN}", display_name="scale-out",
                                    email=f"user-{RUN}@example.com")
    _token, secret = api_token_create(user=desk, name="scaleout")
    category = Category.objects.filter(is_active=True).order_by("path").first()
    numbers = [incident_create(by=desk, data={"short_description": f"scale-out page {n} {RUN}",
                                              "requester": requester, "category": category})[0]
               .number for n in range(3)]
    cookies = []
    for user in (desk, requester):
        client = Client()
        client.force_login(user)
        cookies.append(f"{settings.SESSION_COOKIE_NAME}="
                       f"{client.cookies[settings.SESSION_COOKIE_NAME].value}")
    return Actors(token=secret, desk_cookie=cookies[0], requester_cookie=cookies[1],
                  requester=requester.username, category=category.path, numbers=numbers,
                  made=[desk, requester])


# --- the load ---------------------------------------------------------------------------------


def round_robin(*, urls: list[str], name: str, make, total: int, clients: int, headers: dict,
                expect: int):
    """bench/loadgen.run against every instance at once, request i going to instance i % n."""
    from bench.loadgen import Result, run

    results: list = [None] * len(urls)

    def one(k: int) -> None:
        results[k] = run(name=f"{name} @{k}", base_url=urls[k], headers=headers,
                         make=lambda i, rng: make(i * len(urls) + k, rng),
                         clients=max(1, clients // len(urls)), seconds=600,
                         max_requests=len(range(k, total, len(urls))), expect=expect, seed=k)

    threads = [threading.Thread(target=one, args=(k,)) for k in range(len(urls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    merged = Result(name=name, clients=clients, elapsed=max(r.elapsed for r in results))
    for result in results:
        merged.latencies += result.latencies
        merged.errors += result.errors
        merged.first_error = merged.first_error or result.first_error
        for status, count in result.statuses.items():
            merged.statuses[status] = merged.statuses.get(status, 0) + count
    return merged


@dataclass
class Creates:
    """Every answer to the idempotent creates: (key, status, number or error text)."""

    answers: list[tuple[str, int, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def creates_run(*, urls: list[str], actors: Actors, count: int, clients: int) -> Creates:
    """`count` keys, each POSTed twice, to two instances, by two clients at about the same time.

    Uses bench/loadgen.py's keep-alive Connection; the answers are kept (loadgen.run keeps only
    latencies) because each 201's incident number is checked afterwards.
    """
    from bench.loadgen import Connection

    headers = {"Authorization": f"Bearer {actors.token}", "Content-Type": "application/json"}
    sends = [(key, copy) for key in (f"scaleout-{RUN}-{n}" for n in range(count))
             for copy in (0, 1)]
    work = iter(range(len(sends)))
    creates = Creates()

    def client(number: int) -> None:
        connections = [Connection(url, headers) for url in urls]
        while (i := next(work, None)) is not None:
            key, copy = sends[i]
            body = json.dumps({"short_description": f"scale-out {key}",
                               "requester": actors.requester, "category": actors.category,
                               "impact": 3, "urgency": 3}).encode()
            connection = connections[(i + copy) % len(urls)]
            connection.headers = {**headers, "Idempotency-Key": key}
            try:
                status, data = connection.send("POST", "/api/v1/incidents", body)
                answer = json.loads(data).get("number", "") if status == 201 else data[:200]
            except (OSError, ValueError) as exc:
                status, answer = 0, repr(exc)
                connection.close()
            with creates.lock:
                creates.answers.append((key, status, str(answer)))
        for connection in connections:
            connection.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return creates


def storm_run(*, urls: list[str], alerts: int, fingerprints: int, clients: int):
    """bench/alert_storm.py's storm, posted round robin; returns (results, expectations)."""
    from bench import alert_storm

    firing, resolving, groups, resolved = alert_storm.storm(
        alerts=alerts, fingerprints=fingerprints, per_group=5, grouped=False,
        rng=random.Random(11))
    token = alert_storm.integration_create()
    path = f"/api/v1/intake/alerts/{token}"
    results = []
    for name, posts in (("alerts firing", firing), ("alerts resolving", resolving)):
        results.append(round_robin(
            urls=urls, name=name, make=lambda i, _rng, posts=posts: ("POST", path, posts[i][0]),
            total=len(posts), clients=clients, headers={"Content-Type": "application/json"},
            expect=202))
    expected = {"posted": len(firing) + len(resolving),
                "alerts": sum(n for _body, n in firing + resolving),
                "fingerprints": fingerprints, "groups": groups, "resolved_groups": resolved}
    return results, expected


# Public Alertmanager payloads beside the repository (as opsdesk/intake/tests reads them): one
# group of three alerts and a group of one, each posted again and again as Alertmanager repeats.
FIXTURES = BASE_DIR.parent / "shared" / "fixtures" / "alerts"
FIXTURE_FILES = {"alertmanager_v4_firing_3_alerts_oncall.json": 3, "alertmanager_v4_firing.json": 1}


def fixture_storm_run(*, urls: list[str], repeats: int, clients: int):
    """Every fixture payload posted `repeats` times, round robin, to an integration of its own."""
    from opsdesk.intake.models import AlertIntegration

    missing = [name for name in FIXTURE_FILES if not (FIXTURES / name).is_file()]
    if missing:
        raise SystemExit(f"No {missing[0]} in {FIXTURES} (the shared fixtures beside the repo)")
    bodies = [(FIXTURES / name).read_bytes() for name in FIXTURE_FILES] * repeats
    random.Random(5).shuffle(bodies)
    integration = AlertIntegration(name=f"scale-out fixtures {RUN}", kind="alertmanager",
                                   rate_limit_per_minute=1_000_000, flap_minutes=60)
    token = integration.token_new()
    integration.save()
    result = round_robin(urls=urls, name="alerts (fixtures)", total=len(bodies), clients=clients,
                         headers={"Content-Type": "application/json"}, expect=202,
                         make=lambda i, _rng: ("POST", f"/api/v1/intake/alerts/{token}",
                                               bodies[i]))
    return result, integration, len(bodies)


def check_fixture_storm(*, integration, posts: int, repeats: int) -> list:
    """Repeats change nothing: one alert per fingerprint, one incident per group."""
    from django.db.models import Sum

    from opsdesk.incidents.models import Incident
    from opsdesk.intake.models import Alert, AlertPayload

    payloads = AlertPayload.objects.filter(integration=integration)
    alerts = Alert.objects.filter(integration=integration)
    fingerprints = sum(FIXTURE_FILES.values())
    return [
        ("fixture payloads processed", payloads.filter(state="processed").count(), posts),
        ("fixture alerts", alerts.count(), fingerprints),
        ("fixture deliveries counted", alerts.aggregate(n=Sum("deliveries"))["n"],
         fingerprints * repeats),
        ("fixture incidents", Incident.objects.filter(pk__in=alerts.values("incident")).count(),
         len(FIXTURE_FILES)),
    ]


def pages_run(*, urls: list[str], actors: Actors, count: int, clients: int) -> list:
    """Signed-in page views: the desk's queue and incident pages, the requester's portal."""
    desk_paths = ["/work/open/", *(f"/incidents/{n}/" for n in actors.numbers)]
    desk = round_robin(urls=urls, name="pages (desk)", total=count, clients=clients,
                       headers={"Cookie": actors.desk_cookie},
                       make=lambda i, _rng: ("GET", desk_paths[i % len(desk_paths)], None),
                       expect=200)
    portal = round_robin(urls=urls, name="pages (requester)", total=count // 2, clients=clients,
                         headers={"Cookie": actors.requester_cookie},
                         make=lambda i, _rng: ("GET", "/portal/", None), expect=200)
    return [desk, portal]


def in_parallel(*jobs):
    """Run the callables at once; return their results in order (re-raising the first error)."""
    results, errors = [None] * len(jobs), []

    def one(k):
        from django.db import connections

        try:
            results[k] = jobs[k]()
        except BaseException as exc:  # noqa: BLE001 (re-raised below, in this thread)
            errors.append(exc)
        finally:
            connections.close_all()  # this thread's own; a test database must be droppable

    threads = [threading.Thread(target=one, args=(k,)) for k in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results


# --- waiting and checking ---------------------------------------------------------------------


def payloads_wait(*, integration, timeout: float) -> None:
    """Until none of the integration's payloads is pending any more."""
    from opsdesk.intake.models import AlertPayload

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not AlertPayload.objects.filter(integration=integration, state="pending").exists():
            return
        time.sleep(0.3)


def deliveries_wait(*, since, timeout: float) -> None:
    """Until no delivery queued since `since` is still waiting to be sent."""
    from opsdesk.notifications.models import Delivery

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not Delivery.objects.filter(created_at__gte=since).exclude(status="sent").exists():
            return
        time.sleep(0.3)


def check_creates(creates: Creates, count: int) -> list[tuple[str, object, object]]:
    """Each key: two 201s naming one incident, which exists once; no other incident."""
    from opsdesk.incidents.models import Incident

    statuses = Counter(status for _key, status, _answer in creates.answers)
    numbers_by_key: dict[str, set] = {}
    for key, status, answer in creates.answers:
        if status == 201:
            numbers_by_key.setdefault(key, set()).add(answer)
    numbers = {n for found in numbers_by_key.values() for n in found}
    stored = Counter(Incident.objects.filter(short_description__startswith=f"scale-out scaleout-"
                                             f"{RUN}-").values_list("number", flat=True))
    return [
        ("create answers that are 201", statuses[201], 2 * count),
        ("keys answered with one incident number", sum(
            1 for found in numbers_by_key.values() if len(found) == 1), count),
        ("incidents the creates made", sum(stored.values()), count),
        ("answered numbers found in the database exactly once",
         sum(1 for n in numbers if stored[n] == 1), count),
    ]


def check_notifications(*, since, mail: MailSink) -> list[tuple[str, object, object]]:
    """Every delivery of this run sent, each e-mail one SMTP message, no Message-ID twice.

    Mail for deliveries queued before the run (retries falling due now) is left out.
    """
    from opsdesk.notifications.models import Delivery

    deliveries = Delivery.objects.filter(created_at__gte=since)
    ids = Counter(str(message["Message-ID"]).strip().strip("<>") for message in mail.messages)
    ours = [i.strip().strip("<>") for i in
            deliveries.filter(channel="email").values_list("message_id", flat=True)]
    return [
        ("notifications queued (more than none)", bool(ours), True),
        ("notifications not sent", deliveries.exclude(status="sent").count(), 0),
        ("e-mail deliveries received once", sum(1 for i in ours if ids[i] == 1), len(ours)),
        ("Message-IDs received twice", sum(1 for n in ids.values() if n > 1), 0),
    ]


def check_requests(results) -> list[tuple[str, object, object]]:
    return [(f"{r.name}: failed requests (first: {r.first_error[:120]!r})" if r.errors
             else f"{r.name}: failed requests", r.errors, 0) for r in results]


def format_checks(checks) -> list[str]:
    return [f"{'ok ' if got == want else 'BAD'} {what}: {got} (expected {want})"
            for what, got, want in checks]


# --- the whole run ----------------------------------------------------------------------------


@dataclass
class Options:
    creates: int = 400
    alerts: int = 2000
    fingerprints: int = 100
    repeats: int = 50  # each shared fixture payload posted this many times
    pages: int = 400
    clients: int = 4
    web: int = 2
    workers: int = 2
    threads: int = 4
    scheduler: bool = True
    one_port: bool = False
    timeout: float = 600.0


def scaleout_run(options: Options) -> list[str]:
    """Start the cluster, run the mixed load, wait for the workers, return the check lines.

    Needs Django set up on the database the cluster uses; REDIS_URL must be set (one cache
    and one set of rate-limit counters for every process).
    """
    from django.utils import timezone

    from bench import alert_storm

    if not os.environ.get("REDIS_URL"):
        raise SystemExit("Set REDIS_URL: several processes need one shared cache.")
    since = timezone.now()
    actors = actors_prepare()
    with MailSink() as mail:
        os.environ.update(EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(mail.port),
                          EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend")
        with Cluster(web=options.web, workers=options.workers, threads=options.threads,
                     scheduler=options.scheduler, one_port=options.one_port) as cluster:
            started = time.monotonic()
            creates, (storm, expected), (fixtures, integration, fixture_posts), pages = \
                in_parallel(
                    lambda: creates_run(urls=cluster.urls, actors=actors, count=options.creates,
                                        clients=options.clients),
                    lambda: storm_run(urls=cluster.urls, alerts=options.alerts,
                                      fingerprints=options.fingerprints, clients=options.clients),
                    lambda: fixture_storm_run(urls=cluster.urls, repeats=options.repeats,
                                              clients=options.clients),
                    lambda: pages_run(urls=cluster.urls, actors=actors, count=options.pages,
                                      clients=options.clients))
            loaded = time.monotonic() - started
            alert_storm.wait_processed(expected=expected["posted"], timeout=options.timeout)
            payloads_wait(integration=integration, timeout=options.timeout)
            deliveries_wait(since=since, timeout=options.timeout)
            time.sleep(1)  # a mail the SMTP server accepted a moment ago is counted too
            died = cluster.died()
        lines = [f"load: {loaded:.1f} s; {len(creates.answers)} creates, "
                 f"{sum(r.count + r.errors for r in storm + [fixtures])} alert posts, "
                 f"{sum(r.count + r.errors for r in pages)} page views; "
                 f"{options.web} web processes "
                 f"{'behind one port' if options.one_port else 'on their own ports'}, "
                 f"{options.workers} workers"]
        lines += format_checks(check_creates(creates, options.creates)
                               + check_requests([*storm, fixtures, *pages])
                               + check_fixture_storm(integration=integration,
                                                     posts=fixture_posts,
                                                     repeats=options.repeats)
                               + check_notifications(since=since, mail=mail)
                               + [("processes that died", died, [])])
        lines += alert_storm.verify(**expected)
    return lines


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    defaults = Options()
    for name in ("creates", "alerts", "fingerprints", "repeats", "pages", "clients", "web",
                 "workers", "threads"):
        parser.add_argument(f"--{name}", type=int, default=getattr(defaults, name))
    parser.add_argument("--no-scheduler", action="store_true",
                        help="do not run the periodic loop (manage.py sla_scheduler)")
    parser.add_argument("--one-port", action="store_true",
                        help="one gunicorn with --web worker processes behind one port")
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from opsdesk.reference.services import reference_load_defaults

    if connection.vendor != "postgresql":
        print(f"note: DATABASE_URL is {connection.vendor}; the deployment this checks uses "
              "PostgreSQL")
    call_command("migrate", verbosity=0)
    reference_load_defaults()
    options = Options(**{k: v for k, v in vars(args).items() if k != "no_scheduler"},
                      scheduler=not args.no_scheduler)  # one_port comes as it is
    lines = scaleout_run(options)
    print("\n".join(lines))
    return 1 if any(line.startswith("BAD") for line in lines) else 0


if __name__ == "__main__":
    sys.exit(main())
