"""`manage.py up`: prepare everything, then run the web server and the background worker."""

import os
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connections
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from opsdesk.reference.services import reference_load_defaults

from ..output import accounts_table
from ..supervisor import Child, Supervisor

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}


class Command(BaseCommand):
    @property
    def help(self) -> str:  # argparse needs a real string, translated when asked for
        return _("Migrate the database, load the reference data (and with --demo the demo "
                 "company), collect static files, then run the web server and the "
                 "background worker until Ctrl-C.")

    def add_arguments(self, parser):
        parser.add_argument("--demo", action="store_true",
                            help=gettext_lazy("Create the demo company (safe to repeat)."))
        parser.add_argument("--demo-incidents", type=int, default=300,
                            help=gettext_lazy("Incidents in a new demo company (default: 300)."))
        parser.add_argument("--host", default="127.0.0.1",
                            help=gettext_lazy("Address to listen on (default: 127.0.0.1)."))
        parser.add_argument("--port", type=int, default=8000,
                            help=gettext_lazy("Port to listen on (default: 8000)."))
        parser.add_argument("--workers", type=int,
                            default=int(os.environ.get("WEB_CONCURRENCY", "2")),
                            help=gettext_lazy("Web server processes (default: 2)."))
        parser.add_argument("--threads", type=int, default=4,
                            help=gettext_lazy("Threads per web server process (default: 4)."))

    def handle(self, *args, **options):
        accounts = self._prepare(demo=options["demo"], incidents=options["demo_incidents"])
        connections.close_all()  # the children open their own connections
        children = [Child(_("web server"), _gunicorn_argv(options)),
                    Child(_("background worker"), _worker_argv())]
        _sla_scheduler_start()
        supervisor = Supervisor(children, env={**os.environ, "PYTHONUNBUFFERED": "1"},
                                cwd=str(settings.BASE_DIR))
        exited = supervisor.run(on_started=lambda running: self._announce(
            options=options, children=running, accounts=accounts))
        if exited is not None:
            raise CommandError(_("The %(name)s stopped (exit code %(code)s), so opsdesk "
                                 "stopped too.") % {"name": exited.name,
                                                    "code": exited.process.returncode})
        self._say(_("opsdesk stopped."))

    def _prepare(self, *, demo: bool, incidents: int) -> list:
        """Everything before the servers start; each step is safe to repeat."""
        self._say(_("Data directory: %(path)s") % {"path": settings.DATA_DIR})
        self._say(_("Migrating the database…"))
        call_command("migrate", interactive=False, verbosity=0)
        self._say(_("Loading reference data…"))
        reference_load_defaults()
        accounts = []
        if demo:
            self._say(_("Creating the demo company (this takes a moment the first time)…"))
            from opsdesk.demo.services import demo_company_create

            accounts = demo_company_create(incidents=incidents).accounts
        self._say(_("Collecting static files…"))
        call_command("collectstatic", interactive=False, verbosity=0)
        _enqueue_housekeeping()
        return accounts

    def _announce(self, *, options: dict, children: list[Child], accounts: list) -> None:
        url = f"http://{_url_host(options['host'])}:{options['port']}/"
        self._say(_("opsdesk starts at %(url)s (API: %(url)sapi/v1/docs, admin: "
                    "%(url)sadmin/)") % {"url": url})
        for child in children:
            self._say(_("%(name)s: pid %(pid)d") % {"name": child.name, "pid": child.process.pid})
        if options["host"] not in LOOPBACK_HOSTS:
            self._say(_("Listening on %(host)s: set ALLOWED_HOSTS to the names clients use.")
                      % {"host": options["host"]})
        if accounts:
            self._say(_("Demo accounts (passwords are new on every start):"))
            self._say(accounts_table(accounts))
        self._say(_("Press Ctrl-C to stop."))

    def _say(self, text: str) -> None:
        self.stdout.write(text)
        self.stdout.flush()


def _enqueue_housekeeping() -> None:
    """Queue the start-up housekeeping tasks; the worker runs them as soon as it starts."""
    from opsdesk.incidents.tasks import idempotency_keys_prune

    idempotency_keys_prune.enqueue()


def _gunicorn_argv(options: dict) -> list[str]:
    """gunicorn with threaded workers, logging requests to stdout.

    --preload imports the application once in the master; the forked workers share its
    pages, which saves about 40 MiB per worker.
    """
    bind = f"{_url_host(options['host'])}:{options['port']}"
    argv = [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--bind", bind,
            "--worker-class", "gthread", "--workers", str(options["workers"]),
            "--threads", str(options["threads"]), "--graceful-timeout", "10",
            "--access-logfile", "-", "--preload"]
    return argv + _no_control_socket()


def _no_control_socket() -> list[str]:
    # Newer gunicorn opens a control socket per user (~/.gunicorn), which a second
    # instance on the same machine would fight over; we don't use it.
    from gunicorn.config import KNOWN_SETTINGS

    known = {setting.name for setting in KNOWN_SETTINGS}
    return ["--no-control-socket"] if "control_socket_disable" in known else []


def _worker_argv() -> list[str]:
    """The worker of the configured tasks backend (OPSDESK_TASKS_BACKEND).

    Database: django-tasks-db's worker, for every queue, without the code reloader.
    RQ: django-rq's worker on the backend's queues, with django-tasks-rq's job class, which
    runs a job as a django-tasks task; --with-scheduler moves the tasks queued to run later
    (a notification retry) into the queue when they fall due.
    """
    if settings.TASKS["default"]["BACKEND"] == settings.TASKS_BACKENDS["rq"]:
        return [sys.executable, "-m", "opsdesk.cli", "manage", "rqworker",
                "--job-class", "django_tasks_rq.Job", "--with-scheduler",
                *settings.TASKS["default"]["QUEUES"]]
    return [sys.executable, "-m", "opsdesk.cli", "manage", "db_worker", "--queue-name", "*",
            "--no-reload"]


def _sla_scheduler_start() -> None:
    """Enqueue the periodic work (SLA tick, notification pass, pruning; core/periodic.py) from
    a daemon thread of this supervising process.

    django-tasks has no scheduler; `manage.py sla_scheduler` does the same as a process of
    its own for deployments without `opsdesk up`.
    """
    import threading

    from opsdesk.core.periodic import periodic_loop

    threading.Thread(target=periodic_loop, name="periodic", daemon=True).start()


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host
