"""A private PostgreSQL cluster for tests that must stop, restart or crash the database server.

The shared server on 127.0.0.1:5432 serves every other test, so it is never touched: this
starts Debian's own binaries (/usr/lib/postgresql/<version>/bin: initdb, pg_ctl) on a free
loopback port, in a temporary directory that is removed afterwards. Trust authentication,
user `postgres`, no fsync (a test cluster; `-m immediate` still replays the WAL on restart,
so a committed transaction survives a crash of the server process).

PostgreSQL refuses to run as root; when the tests run as root (CI containers) the cluster's
commands run as the `postgres` system account that Debian's packages create.

    with PgCluster() as cluster:
        url = cluster.create_database("opsdesk")   # postgres://postgres@127.0.0.1:<port>/opsdesk
        url = cluster.copy_database(source, "copy")  # a copy of another server's database
        ...
        cluster.restart(mode="immediate")          # a crash and recovery, as after a kill -9

A hot-standby replica streams from a running cluster (pg_basebackup -R: standby.signal and
primary_conninfo; wal_level replica, hot_standby on), on its own free port:

    with PgCluster() as primary, primary.standby() as replica:
        replica.wait_for_replay(primary)           # the replica has what the primary committed
        replica.replay_pause() ... replica.replay_resume()
"""

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

BIN_GLOB = "/usr/lib/postgresql/*/bin"


def pg_bin_dir() -> Path | None:
    """The newest installed PostgreSQL's binaries (Debian's layout), or None."""
    candidates = [Path(p) for p in sorted(Path("/").glob(BIN_GLOB.lstrip("/")),
                                          key=lambda p: _version(p.parent.name))]
    usable = [p for p in candidates if (p / "initdb").exists() and (p / "pg_ctl").exists()]
    return usable[-1] if usable else None


def _version(name: str) -> tuple:
    return tuple(int(part) for part in name.split(".") if part.isdigit())


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PgCluster:
    """initdb + pg_ctl on a free port; start(), restart(), stop(); a context manager."""

    def __init__(self, bin_dir: Path | None = None, *, primary: "PgCluster | None" = None):
        self.primary = primary  # set: a hot standby of that cluster, made by pg_basebackup
        self.bin_dir = bin_dir or (primary.bin_dir if primary else pg_bin_dir())
        if self.bin_dir is None:
            raise RuntimeError("PostgreSQL's server binaries are not installed "
                               f"({BIN_GLOB}); on Debian: apt-get install postgresql")
        self.port = _free_port()
        self.root = Path(tempfile.mkdtemp(prefix="opsdesk-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.account = pwd.getpwnam("postgres") if os.geteuid() == 0 else None
        if self.account is not None:
            os.chown(self.root, self.account.pw_uid, self.account.pw_gid)

    def url(self, database: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def __enter__(self) -> "PgCluster":
        try:
            self.init()
            self.start()
        except BaseException:
            self.remove()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
        self.remove()

    def standby(self) -> "PgCluster":
        """A hot-standby replica of this (running) cluster; enter it to copy and start it."""
        return PgCluster(self.bin_dir, primary=self)

    def init(self) -> None:
        if self.primary is not None:
            self._run("pg_basebackup", "--pgdata", str(self.data), "--write-recovery-conf",
                      "--wal-method=stream", "--checkpoint=fast", "--no-sync",
                      "--dbname", f"host=127.0.0.1 port={self.primary.port} user=postgres")
            return
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust",
                  "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync")

    def start(self) -> None:
        options = (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
                   "-c fsync=off -c full_page_writes=off -c max_connections=60 "
                   # what a streaming replica needs (the defaults, said out loud)
                   "-c wal_level=replica -c max_wal_senders=5 -c hot_standby=on")
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options,
                  "-w", "-t", "60", "start")

    def restart(self, *, mode: str = "fast") -> None:
        """Restart the server: `fast` ends the sessions politely, `immediate` is a crash (the
        WAL is replayed at start). pg_ctl reuses the options the server was started with."""
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-m", mode, "-w",
                  "-t", "60", "restart")

    def stop(self, *, mode: str = "immediate") -> None:
        if (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop",
                      check=False)

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)

    def create_database(self, name: str) -> str:
        """CREATE DATABASE name; return its URL (the DATABASE_URL opsdesk reads)."""
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def copy_database(self, source_url: str, name: str) -> str:
        """CREATE DATABASE name as a copy of another server's database (pg_dump | psql, this
        version's client programs); return its URL. Much faster than migrating from nothing."""
        url = self.create_database(name)
        dump = subprocess.Popen([str(self.bin_dir / "pg_dump"), "--no-owner", "--no-privileges",
                                 "--dbname", source_url], stdout=subprocess.PIPE)
        load = subprocess.run([str(self.bin_dir / "psql"), "--quiet", "--set=ON_ERROR_STOP=1",
                               "--dbname", url], stdin=dump.stdout, capture_output=True,
                              text=True, timeout=300, check=False)
        dump.stdout.close()
        if dump.wait(timeout=60) != 0 or load.returncode != 0:
            raise RuntimeError(f"copying {source_url} failed: {load.stderr[-2000:]}")
        return url

    def query(self, sql: str, database: str = "postgres"):
        """The first row of one statement's answer (None for a statement without rows)."""
        import psycopg

        with psycopg.connect(self.url(database), autocommit=True) as connection:
            cursor = connection.execute(sql)
            return cursor.fetchone() if cursor.description else None

    def wait_for_replay(self, primary: "PgCluster | None" = None, *,
                        timeout: float = 60) -> None:
        """Wait until this standby has replayed everything its primary has written so far."""
        primary = primary or self.primary
        target = primary.query("SELECT pg_current_wal_lsn()::text")[0]
        self._wait(f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn", timeout,
                   f"replay up to {target}")

    def replay_pause(self, *, timeout: float = 30) -> None:
        """Stop applying the primary's changes (they still arrive): the standby keeps what it
        has, a lagging replica frozen in time."""
        self.query("SELECT pg_wal_replay_pause()")
        self._wait("SELECT pg_get_wal_replay_pause_state() = 'paused'", timeout, "pause")

    def replay_resume(self) -> None:
        self.query("SELECT pg_wal_replay_resume()")

    def _wait(self, sql: str, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while not self.query(sql)[0]:
            if time.monotonic() > deadline:
                raise RuntimeError(f"standby on port {self.port}: no {what} after {timeout} s"
                                   f"\n{self.server_log()}")
            time.sleep(0.1)

    def server_log(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""

    def _run(self, program: str, *args: str, check: bool = True) -> None:
        # Output to a file, not a pipe: the server pg_ctl forks would hold a pipe open.
        with tempfile.TemporaryFile("w+") as output:
            result = subprocess.run([str(self.bin_dir / program), *args], cwd=self.root,
                                    stdin=subprocess.DEVNULL, stdout=output,
                                    stderr=subprocess.STDOUT, timeout=120, check=False,
                                    preexec_fn=self._drop_root if self.account else None)
            output.seek(0)
            if check and result.returncode != 0:
                raise RuntimeError(f"{program} failed ({result.returncode}): {output.read()}"
                                   f"\n{self.server_log()}")

    def _drop_root(self) -> None:
        """In the child, before exec: become the postgres account (initdb refuses root)."""
        os.setgid(self.account.pw_gid)
        os.initgroups("postgres", self.account.pw_gid)
        os.setuid(self.account.pw_uid)
