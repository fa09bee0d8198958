"""The real server under test: gunicorn serving config.wsgi:application, plus the db_worker.

Started the way `opsdesk up` starts them (gthread workers; django-tasks-db's worker for every
queue), on a free loopback port, against the DATABASE_URL of the environment.
"""

import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Self

BASE_DIR = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def gunicorn_argv(*, port: int, workers: int, threads: int, access_log: bool,
                  app: str = "config.wsgi:application") -> list[str]:
    argv = [sys.executable, "-m", "gunicorn", app,
            "--bind", f"127.0.0.1:{port}", "--worker-class", "gthread",
            "--workers", str(workers), "--threads", str(threads),
            "--graceful-timeout", "10", "--log-level", "warning", "--preload"]
    if access_log:
        argv += ["--access-logfile", "-"]
    from gunicorn.config import KNOWN_SETTINGS

    if "control_socket_disable" in {s.name for s in KNOWN_SETTINGS}:
        argv.append("--no-control-socket")  # a second gunicorn on the machine would clash
    return argv


class Server:
    """Context manager: start gunicorn (and the db_worker), wait until the API answers, stop."""

    def __init__(self, *, workers: int = 2, threads: int = 4, db_worker: bool = True,
                 access_log: bool = False, app: str = "config.wsgi:application"):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.argv = gunicorn_argv(port=self.port, workers=workers, threads=threads,
                                  access_log=access_log, app=app)
        self.with_worker = db_worker
        self.processes: dict[str, subprocess.Popen] = {}
        # Kept open while the server runs, closed and removed in __exit__.
        self.log = tempfile.NamedTemporaryFile(  # noqa: SIM115
            "w+", prefix="api-bench-", suffix=".log", delete=False)

    def __enter__(self) -> Self:
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings",
               "PYTHONUNBUFFERED": "1"}
        self.processes["gunicorn"] = subprocess.Popen(
            self.argv, cwd=BASE_DIR, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        if self.with_worker:
            self.processes["db_worker"] = subprocess.Popen(
                [sys.executable, "-m", "opsdesk.cli", "manage", "db_worker", "--queue-name", "*",
                 "--no-reload"], cwd=BASE_DIR, env=env, stdout=self.log,
                stderr=subprocess.STDOUT)
        return self

    def wait_ready(self, token: str, timeout: float = 60.0) -> None:
        """Poll a cheap API call until it answers 200; fail with the server's log otherwise."""
        self.wait_ready_url("/api/v1/incidents?limit=1", token=token, timeout=timeout)

    def wait_ready_url(self, path: str, *, token: str = "", timeout: float = 60.0) -> None:
        """Poll path until it answers 200; fail with the server's log otherwise."""
        deadline = time.monotonic() + timeout
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        request = urllib.request.Request(f"{self.url}{path}", headers=headers)
        while time.monotonic() < deadline:
            if self.processes["gunicorn"].poll() is not None:
                break
            try:
                with urllib.request.urlopen(request, timeout=5) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.3)
        self.log.flush()
        raise SystemExit(f"gunicorn did not answer at {self.url}:\n"
                         + Path(self.log.name).read_text()[-3000:])

    def __exit__(self, *exc) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.log.close()
        os.unlink(self.log.name)

    def memory(self) -> list[tuple[str, int, int, int, int]]:
        """(role, pid, RSS KiB, peak RSS KiB, PSS KiB) of the gunicorn master, its workers and
        db_worker. PSS shares each page among the processes that map it, so its sum is the
        memory the server really takes (workers share the code the master preloaded)."""
        rows = []
        master = self.processes["gunicorn"].pid
        rows.append(("gunicorn master", master, *_rss(master), _pss(master)))
        for child in _children(master):
            rows.append(("gunicorn worker", child, *_rss(child), _pss(child)))
        if "db_worker" in self.processes:
            pid = self.processes["db_worker"].pid
            rows.append(("db_worker", pid, *_rss(pid), _pss(pid)))
        return rows


    def server_pids(self) -> list[int]:
        """The gunicorn workers and this database's PostgreSQL backends, as they are now."""
        return _children(self.processes["gunicorn"].pid) + postgres_backends()

    def cpu_meter(self) -> "CpuMeter":
        return CpuMeter(self.server_pids)


class CpuMeter:
    """Context manager: CPU seconds the server processes use while it is open.

    Processes come and go (a database connection older than CONN_MAX_AGE is replaced), so
    each process's CPU time is sampled every 0.2 s and the growth per process is summed. A
    process that ends loses at most its last 0.2 s. Unlike latency, CPU per request barely
    changes when other work shares the machine.
    """

    def __init__(self, pids_now):
        self.pids_now = pids_now
        self.first: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self.seconds = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample_until_stopped, daemon=True)

    def __enter__(self) -> Self:
        self._sample(baseline=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()
        self.seconds = sum(cpu - self.first.get(pid, 0.0) for pid, cpu in self.last.items())

    def _sample_until_stopped(self) -> None:
        while not self._stop.wait(0.2):
            self._sample()

    def _sample(self, baseline: bool = False) -> None:
        for pid in self.pids_now():
            cpu = _cpu(pid)
            if cpu <= 0.0 and pid in self.last:
                continue  # ended between the listing and the read: keep its last sample
            if baseline:
                self.first[pid] = cpu
            self.last[pid] = cpu


def postgres_backends() -> list[int]:
    """Local PostgreSQL backends serving the database of DATABASE_URL (root can read them)."""
    from django.conf import settings

    name = settings.DATABASES["default"].get("NAME", "")
    if "postgresql" not in settings.DATABASES["default"]["ENGINE"]:
        return []
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if title.startswith("postgres:") and f" {name} " in title:
                pids.append(int(entry.name))
    return pids


def _cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True,
                         text=True, check=False).stdout
    return [int(line) for line in out.split()]


def _pss(pid: int) -> int:
    """Proportional set size in KiB, from /proc (0 where it can't be read)."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _rss(pid: int) -> tuple[int, int]:
    """Current and peak resident memory in KiB, from /proc (0, 0 where it can't be read)."""
    values = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _sep, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0])
    except OSError:
        pass
    return values.get("VmRSS", 0), values.get("VmHWM", 0)


def bench_run(*, url: str | None, server: "Server | None", token: str, label: str, measure,
              report) -> None:
    """Start `server` unless `url` names one that runs, call measure(base_url, cpu_meter),
    print report(results), each scenario's first error and the server's memory; stop it."""
    try:
        if server:
            server.__enter__()
            server.wait_ready(token)
            print(f"server: {label} at {server.url}", flush=True)
        results = measure(url or server.url, server.cpu_meter if server else None)
        print(report(results))
        for result in results:
            if result.first_error:
                print(f"first error in {result.name!r}: {result.first_error[:300]}")
        if server:
            print(format_memory(server.memory()))
    finally:
        if server:
            server.__exit__(None, None, None)


def format_memory(rows) -> str:
    lines = [f"  {role:<16} pid {pid:>7}  RSS {rss / 1024:7.1f} MiB  peak {peak / 1024:7.1f} MiB"
             f"  PSS {pss / 1024:7.1f} MiB" for role, pid, rss, peak, pss in rows]
    rss_total = sum(row[2] for row in rows) / 1024
    pss_total = sum(row[4] for row in rows) / 1024
    return "\n".join(["server memory:", *lines,
                      f"  total RSS {rss_total:.1f} MiB (shared pages counted in every process)",
                      f"  total PSS {pss_total:.1f} MiB (what the server takes; target < 250)"])
