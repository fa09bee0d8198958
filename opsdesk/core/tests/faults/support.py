"""Real servers for the fault tests: gunicorn and db_worker subprocesses on the test database,
an SMTP server that can be taken down and brought back, and HTTP clients in threads.

The subprocesses connect to the very database pytest-django created for this test process
(`current_database_url`), so the tests that use them are transactional (their rows are committed
and visible to the subprocesses) and stop every subprocess before the test ends (the test
database is flushed, then dropped, after it).
"""

import json
import logging
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from pathlib import Path
from urllib.parse import quote

from aiosmtpd.controller import Controller
from django.db import connection

from bench.server import free_port, gunicorn_argv

ROOT = Path(__file__).resolve().parents[4]
logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every SMTP line


def database_url(settings_dict: dict) -> str:
    """A DATABASE_URL (what config/settings.py reads) for these Django database settings."""
    engine = settings_dict["ENGINE"].rsplit(".", 1)[-1]
    if engine == "sqlite3":
        return f"sqlite:///{settings_dict['NAME']}"
    scheme = {"postgresql": "postgres", "mysql": "mysql"}[engine]
    credentials = quote(settings_dict.get("USER") or "", safe="")
    if settings_dict.get("PASSWORD"):
        credentials += ":" + quote(settings_dict["PASSWORD"], safe="")
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
    return f"{scheme}://{credentials}@{host}{port}/{settings_dict['NAME']}"


def current_database_url() -> str:
    """The DATABASE_URL of the test database this process uses (test_…, per xdist worker)."""
    return database_url(connection.settings_dict)


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def subprocess_env(*, database: str | None = None, **extra: str) -> dict:
    """The environment of a server subprocess: this checkout, the test database, no cache
    (each process would have its own), mail to nowhere unless `extra` says otherwise."""
    env = {k: v for k, v in os.environ.items()
           if k not in {"REDIS_URL", "OPSDESK_TASKS_BACKEND", "DJANGO_SETTINGS_MODULE"}}
    env.update(DJANGO_SETTINGS_MODULE="config.settings", PYTHONUNBUFFERED="1",
               DATABASE_URL=database or current_database_url(), LOG_LEVEL="WARNING",
               DATABASE_CONN_MAX_AGE="60")
    env.update(extra)
    return env


class Processes:
    """Subprocesses with one log file; stop() ends them all (SIGTERM, then SIGKILL)."""

    def __init__(self, name: str):
        self.log = tempfile.NamedTemporaryFile(  # noqa: SIM115 (closed in stop())
            "w+", prefix=f"opsdesk-{name}-", suffix=".log", delete=False)
        self.running: list[subprocess.Popen] = []

    def start(self, argv: list[str], env: dict) -> subprocess.Popen:
        process = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=self.log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
        self.running.append(process)
        return process

    def kill(self, process: subprocess.Popen) -> None:
        """SIGKILL: no cleanup, no rollback by the process itself (the database does that)."""
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        self.running.remove(process)

    def log_tail(self, chars: int = 4000) -> str:
        self.log.flush()
        return Path(self.log.name).read_text(errors="replace")[-chars:]

    def stop(self) -> None:
        for process in self.running:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.running:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        self.running.clear()
        self.log.close()
        os.unlink(self.log.name)


def db_worker_argv() -> list[str]:
    """What `opsdesk up` runs as its worker: django-tasks-db's worker for every queue."""
    return [sys.executable, "manage.py", "db_worker", "--queue-name", "*", "--no-reload",
            "--interval", "0.2", "--no-startup-delay"]


class Gunicorn:
    """gunicorn serving config.wsgi:application as `opsdesk up` does, on a free port."""

    def __init__(self, *, env: dict, workers: int = 2, threads: int = 4):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = env
        self.argv = gunicorn_argv(port=self.port, workers=workers, threads=threads,
                                  access_log=False)
        self.processes = Processes("gunicorn")

    def __enter__(self) -> "Gunicorn":
        self.processes.start(self.argv, self.env)
        self.wait_ready()
        return self

    def __exit__(self, *exc) -> None:
        self.processes.stop()

    def wait_ready(self, timeout: float = 90) -> None:
        """Until the sign-in page answers (gunicorn up, Django loaded, the database reachable)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(p.poll() is not None for p in self.processes.running):
                break
            try:
                with urllib.request.urlopen(f"{self.url}/login/", timeout=5) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.3)
        raise AssertionError(f"gunicorn did not answer at {self.url}:\n"
                             + self.processes.log_tail())


@dataclass
class Answer:
    """One HTTP answer (status 0: no answer at all, `error` says why)."""

    status: int
    body: bytes = b""
    headers: dict = field(default_factory=dict)
    error: str = ""

    @property
    def json(self):
        return json.loads(self.body.decode("utf-8"))


def http(method: str, url: str, *, body=None, headers: dict | None = None,
         timeout: float = 30) -> Answer:
    """One request with the standard library: every status is returned, never raised."""
    data = json.dumps(body).encode() if body is not None and not isinstance(body, bytes) \
        else body
    request = urllib.request.Request(url, data=data, method=method, headers={
        "Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return Answer(response.status, response.read(), dict(response.headers.items()))
    except urllib.error.HTTPError as error:
        return Answer(error.code, error.read(), dict(error.headers.items()))
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError) as error:
        return Answer(0, error=f"{type(error).__name__}: {error}")


def in_threads(function, items, *, threads: int = 8) -> list:
    """function(item) for every item on `threads` threads; the results in the items' order."""
    with ThreadPoolExecutor(max_workers=threads) as pool:
        return list(pool.map(function, items))


class _MailCapture:
    """aiosmtpd handler: keeps every message it accepts, parsed, in arrival order."""

    def __init__(self):
        self.messages = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        parsed = message_from_bytes(envelope.original_content or envelope.content,
                                    policy=policy.default)
        with self.lock:
            self.messages.append((list(envelope.rcpt_tos), parsed))
        return "250 Message accepted for delivery"


class SmtpServer:
    """A real SMTP server on 127.0.0.1 that can be stopped (down) and started again (up)."""

    def __init__(self):
        self.capture = _MailCapture()
        self.port = free_port()
        self.controller = None

    @property
    def messages(self) -> list:
        with self.capture.lock:
            return list(self.capture.messages)

    def env(self) -> dict:
        """The settings (as environment) that send a subprocess's mail here."""
        return {"EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(self.port), "EMAIL_TIMEOUT": "5",
                "DEFAULT_FROM_EMAIL": "opsdesk <desk@opsdesk.example>"}

    def use_here(self, settings) -> None:
        """Send this process's mail here too (pytest-django's settings fixture)."""
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", self.port
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_TIMEOUT = 5
        settings.DEFAULT_FROM_EMAIL = "opsdesk <desk@opsdesk.example>"

    def start(self) -> "SmtpServer":
        self.controller = Controller(self.capture, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


def wait_for(condition, *, timeout: float, interval: float = 0.3, what: str = "") -> None:
    """Poll condition() until it is true; fail after `timeout` seconds saying what we waited for."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what or condition}")
