"""The database part of a backup: one dumper per vendor, each with the vendor's own tools.

Every dumper writes one file and returns the row count of every table *as the dump holds
it*, so a restore can prove it loaded everything:

- PostgreSQL: `pg_dump -Fc` runs on a snapshot exported from a repeatable-read transaction
  (`pg_export_snapshot`); the row counts are taken inside that same transaction, so they are
  exactly the dump's, however busy the system is. `pg_restore --single-transaction` loads it
  all or nothing.
- MariaDB/MySQL: `mariadb-dump --single-transaction` (a consistent InnoDB snapshot), gzipped
  on the way into the archive; another session cannot share that snapshot, so the rows are
  counted in the dump itself (the tuples of each extended INSERT).
- SQLite: the online backup API copies the file in one step, a consistent snapshot while
  the WAL lets writers carry on; counts come from the copy.
"""

import gzip
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.db import connection
from django.utils.translation import gettext as _


class BackupError(Exception):
    """A backup or restore that cannot go on; the message tells the operator what to do."""


@dataclass
class Dump:
    """A database dump written to `path`, with its archive name and the rows it holds."""

    path: Path
    member: str
    counts: dict[str, int]
    tool: str
    server: str


def vendor() -> str:
    """'postgresql', 'mysql' or 'sqlite' (Django's names)."""
    return connection.vendor


def dumper_for(name: str) -> "type[_Vendor]":
    """The dumper class of a vendor name, or a BackupError naming the supported ones."""
    try:
        return VENDORS[name]
    except KeyError:
        raise BackupError(_("Database %(vendor)s is not supported by backup (PostgreSQL, "
                            "MariaDB/MySQL and SQLite are).") % {"vendor": name}) from None


def table_names() -> list[str]:
    """The tables of the configured database, as Django sees them (no views)."""
    with connection.cursor() as cursor:
        return sorted(connection.introspection.table_names(cursor))


def table_counts(names) -> dict[str, int]:
    """Rows per table, counted now through Django's connection (after a restore)."""
    quote = connection.ops.quote_name
    counts = {}
    with connection.cursor() as cursor:
        for name in names:
            cursor.execute(f"SELECT COUNT(*) FROM {quote(name)}")  # noqa: S608 (quoted name)
            counts[name] = cursor.fetchone()[0]
    return counts


def _run(argv: list[str], *, env: dict | None = None, stdin=None, stdout=None) -> None:
    """Run a client tool; its stderr becomes the BackupError message when it fails."""
    try:
        done = subprocess.run(argv, env=env, stdin=stdin, stdout=stdout or subprocess.DEVNULL,
                              stderr=subprocess.PIPE, check=False)
    except OSError as exc:
        raise BackupError(_("Could not run %(tool)s: %(error)s") % {
            "tool": argv[0], "error": exc}) from exc
    if done.returncode:
        raise BackupError(_("%(tool)s failed (exit code %(code)s): %(error)s") % {
            "tool": Path(argv[0]).name, "code": done.returncode,
            "error": done.stderr.decode(errors="replace").strip()[-2000:]})


class _Vendor:
    """What each database vendor below implements (Postgres, MySQL, SQLite); never used itself.

    The NotImplementedError bodies mark the interface: `dumper_for()` (VENDORS) only hands out
    the three subclasses, each of which defines all four methods (tests/test_backup.py runs
    them on every database).
    """

    member = ""

    @classmethod
    def dump(cls, *, into: Path) -> Dump:
        raise NotImplementedError

    @classmethod
    def check(cls, *, path: Path, counts: dict[str, int]) -> None:
        """Raise BackupError unless the dump file is readable and holds `counts`."""
        raise NotImplementedError

    @classmethod
    def restore(cls, *, path: Path) -> None:
        raise NotImplementedError

    @classmethod
    def wipe(cls) -> None:
        """Drop every table of the configured database (restore --force)."""
        raise NotImplementedError


# --- PostgreSQL -------------------------------------------------------------------------------

PG_LIB = Path("/usr/lib/postgresql")


def pg_tool(name: str, *, at_least: int = 0) -> str:
    """The newest `name` (pg_dump, pg_restore) of major version >= at_least.

    pg_dump refuses a server newer than itself, and pg_restore cannot read a dump made by a
    newer pg_dump, so Debian's versioned directories are searched, newest first, then PATH.
    """
    found = sorted(((int(p.parent.parent.name), str(p)) for p in PG_LIB.glob(f"*/bin/{name}")
                    if p.parent.parent.name.isdigit()), reverse=True)
    if on_path := shutil.which(name):
        found.append((_pg_tool_major(on_path), on_path))
    for major, path in found:
        if major >= at_least:
            return path
    raise BackupError(_("%(tool)s %(major)s or newer is needed (install Debian's "
                        "postgresql-client-%(major)s).") % {"tool": name, "major": at_least})


def _pg_tool_major(path: str) -> int:
    out = subprocess.run([path, "--version"], capture_output=True, text=True, check=False).stdout
    match = re.search(r"(\d+)(?:\.\d+)?", out)
    return int(match.group(1)) if match else 0


def _pg_env() -> dict:
    """libpq's environment for the configured database: no password on a command line."""
    settings = connection.settings_dict
    env = {**os.environ, "PGDATABASE": settings["NAME"]}
    for key, var in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"),
                     ("PASSWORD", "PGPASSWORD")):
        if settings.get(key):
            env[var] = str(settings[key])
    for option, value in settings.get("OPTIONS", {}).items():
        if option in ("sslmode", "sslrootcert", "sslcert", "sslkey", "service"):
            env["PG" + option.upper()] = str(value)
    return env


class Postgres(_Vendor):
    member = "database/opsdesk.pgdump"

    @classmethod
    def dump(cls, *, into: Path) -> Dump:
        connection.ensure_connection()
        server_major = connection.pg_version // 10000
        tool = pg_tool("pg_dump", at_least=server_major)
        path = into / "opsdesk.pgdump"
        raw = connection.get_new_connection(connection.get_connection_params())
        try:
            raw.autocommit = True
            raw.execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            snapshot = raw.execute("SELECT pg_export_snapshot()").fetchone()[0]
            _run([tool, "--format=custom", f"--snapshot={snapshot}", f"--file={path}"],
                 env=_pg_env())
            counts = cls._counts(raw)
            raw.execute("COMMIT")
        finally:
            raw.close()
        return Dump(path=path, member=cls.member, counts=counts, tool=f"{tool}",
                    server=f"PostgreSQL {connection.pg_version}")

    @staticmethod
    def _counts(raw) -> dict[str, int]:
        """Rows per table of the current schema, in the exported snapshot's transaction."""
        names = [row[0] for row in raw.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
            "ORDER BY tablename")]
        return {name: raw.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()[0]  # noqa: S608
                for name in names}

    @classmethod
    def check(cls, *, path: Path, counts: dict[str, int]) -> None:
        tool = pg_tool("pg_restore")
        listing = subprocess.run([tool, "--list", str(path)], capture_output=True, text=True,
                                 check=False)
        if listing.returncode:
            raise BackupError(_("The PostgreSQL dump cannot be read: %(error)s")
                              % {"error": listing.stderr.strip()[-500:]})
        listed = set(re.findall(r" TABLE DATA \S+ (\S+) ", listing.stdout))
        missing = [name for name, rows in counts.items() if rows and name not in listed]
        if missing:
            raise BackupError(_("The PostgreSQL dump lacks the data of %(tables)s.")
                              % {"tables": ", ".join(missing[:5])})

    @classmethod
    def restore(cls, *, path: Path) -> None:
        connection.ensure_connection()
        tool = pg_tool("pg_restore", at_least=connection.pg_version // 10000)
        connection.close()
        _run([tool, "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
              f"--dbname={connection.settings_dict['NAME']}", str(path)], env=_pg_env())

    @classmethod
    def wipe(cls) -> None:
        """Views first, then tables (taking their identity sequences), then other sequences."""
        kinds = (("VIEW", "'v'"), ("MATERIALIZED VIEW", "'m'"), ("TABLE", "'r', 'p'"),
                 ("SEQUENCE", "'S'"))
        with connection.cursor() as cursor:
            for what, relkinds in kinds:
                cursor.execute(
                    "SELECT quote_ident(c.relname) FROM pg_class c JOIN pg_namespace n "
                    "ON n.oid = c.relnamespace WHERE n.nspname = current_schema() "
                    f"AND c.relkind IN ({relkinds})")  # noqa: S608 (constants)
                if names := [row[0] for row in cursor.fetchall()]:
                    cursor.execute(f"DROP {what} IF EXISTS {', '.join(names)} CASCADE")


# --- MariaDB / MySQL --------------------------------------------------------------------------

# mariadb-dump writes extended INSERTs either on one line or, since MariaDB 10.11 (and MySQL
# 8.0's mysqldump with some options), as "INSERT INTO `t` VALUES" followed by one tuple per
# line. Strings are quoted with backslash escapes (a newline is written as \n), so with the
# strings taken out, the tuples of a line are separated by "),(" and the statement ends in ";".
_INSERT = re.compile(rb"^INSERT INTO `((?:[^`]|``)+)` VALUES ?")
_STRING = re.compile(rb"'[^'\\]*(?:\\.[^'\\]*)*'")
_DUMP_DONE = b"-- Dump completed"


def _mysql_tool(*names: str) -> str:
    for name in names:
        if found := shutil.which(name):
            return found
    raise BackupError(_("%(tool)s is needed (install Debian's mariadb-client).")
                      % {"tool": names[0]})


@contextmanager
def _mysql_options():
    """A private option file with the connection settings: no password on a command line."""
    settings = connection.settings_dict
    lines = ["[client]", "default-character-set=utf8mb4"]
    for key, option in (("HOST", "host"), ("PORT", "port"), ("USER", "user"),
                        ("PASSWORD", "password")):
        if settings.get(key):
            lines.append(f"{option}={settings[key]}")
    with tempfile.NamedTemporaryFile("w", prefix="opsdesk-my-", suffix=".cnf") as options:
        os.chmod(options.name, 0o600)
        options.write("\n".join(lines) + "\n")
        options.flush()
        yield f"--defaults-extra-file={options.name}"


def count_insert_rows(lines) -> tuple[dict[str, int], bool]:
    """Rows per table in a mariadb-dump text, and whether it ends with 'Dump completed'."""
    counts: dict[str, int] = {}
    completed, table = False, None
    for line in lines:
        if match := _INSERT.match(line):
            table, values = match.group(1).replace(b"``", b"`").decode(), line[match.end():]
        elif table is not None:
            values = line
        else:
            completed = completed or line.startswith(_DUMP_DONE)
            continue
        values = _STRING.sub(b"", values).strip()
        if values:
            counts[table] = counts.get(table, 0) + values.count(b"),(") + 1
            if values.endswith(b";"):
                table = None
    return counts, completed


class MySQL(_Vendor):
    member = "database/opsdesk.sql.gz"

    @classmethod
    def dump(cls, *, into: Path) -> Dump:
        tool = _mysql_tool("mariadb-dump", "mysqldump")
        path = into / "opsdesk.sql.gz"
        with _mysql_options() as options:
            argv = [tool, options, "--single-transaction", "--quick", "--hex-blob",
                    "--skip-lock-tables", "--no-tablespaces", "--triggers",
                    connection.settings_dict["NAME"]]
            counts = cls._dump_counting(argv, path)
        for name in table_names():
            counts.setdefault(name, 0)  # empty tables have no INSERT
        return Dump(path=path, member=cls.member, counts=counts, tool=tool,
                    server=f"MariaDB/MySQL {'.'.join(map(str, connection.mysql_version))}")

    @staticmethod
    def _dump_counting(argv: list[str], path: Path) -> dict[str, int]:
        """Stream the dump through gzip into path, counting its rows on the way."""
        with tempfile.TemporaryFile() as errors, gzip.open(path, "wb", compresslevel=3) as out:
            process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=errors)

            def tee():
                for line in process.stdout:
                    out.write(line)
                    yield line

            counts, completed = count_insert_rows(tee())
            if process.wait() or not completed:
                errors.seek(0)
                raise BackupError(_("%(tool)s failed (exit code %(code)s): %(error)s") % {
                    "tool": Path(argv[0]).name, "code": process.returncode,
                    "error": errors.read().decode(errors="replace").strip()[-2000:]})
        return counts

    @classmethod
    def check(cls, *, path: Path, counts: dict[str, int]) -> None:
        try:
            with gzip.open(path, "rb") as dump:
                found, completed = count_insert_rows(dump)
        except (OSError, EOFError) as exc:
            raise BackupError(_("The MariaDB dump cannot be read: %(error)s")
                              % {"error": exc}) from exc
        if not completed:
            raise BackupError(_("The MariaDB dump is cut short (no 'Dump completed' line)."))
        wrong = [name for name, rows in counts.items() if found.get(name, 0) != rows]
        if wrong:
            raise BackupError(_("The MariaDB dump holds other row counts than the manifest "
                                "for %(tables)s.") % {"tables": ", ".join(wrong[:5])})

    @classmethod
    def restore(cls, *, path: Path) -> None:
        tool = _mysql_tool("mariadb", "mysql")
        with _mysql_options() as options, tempfile.TemporaryFile() as errors:
            process = subprocess.Popen([tool, options, connection.settings_dict["NAME"]],
                                       stdin=subprocess.PIPE, stderr=errors)
            try:
                with gzip.open(path, "rb") as dump:
                    shutil.copyfileobj(dump, process.stdin, 1024 * 1024)
            except BrokenPipeError:
                pass  # the client stopped on an error: its exit code and stderr say which
            finally:
                process.stdin.close()
            if process.wait():
                errors.seek(0)
                raise BackupError(_("%(tool)s failed (exit code %(code)s): %(error)s") % {
                    "tool": Path(tool).name, "code": process.returncode,
                    "error": errors.read().decode(errors="replace").strip()[-2000:]})

    @classmethod
    def wipe(cls) -> None:
        with connection.cursor() as cursor:
            cursor.execute("SET FOREIGN_KEY_CHECKS = 0")
            try:
                cursor.execute("SELECT table_name, table_type FROM information_schema.tables "
                               "WHERE table_schema = DATABASE()")
                for name, kind in cursor.fetchall():
                    what = "VIEW" if kind == "VIEW" else "TABLE"
                    cursor.execute(f"DROP {what} IF EXISTS {connection.ops.quote_name(name)}")
            finally:
                cursor.execute("SET FOREIGN_KEY_CHECKS = 1")


# --- SQLite -----------------------------------------------------------------------------------


def _sqlite_counts(db: sqlite3.Connection) -> dict[str, int]:
    names = [row[0] for row in db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "ORDER BY name")]
    return {name: db.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()[0]  # noqa: S608
            for name in names}


class SQLite(_Vendor):
    member = "database/opsdesk.sqlite3"

    @classmethod
    def dump(cls, *, into: Path) -> Dump:
        path = into / "opsdesk.sqlite3"
        connection.ensure_connection()
        copy = sqlite3.connect(path)
        try:
            connection.connection.backup(copy)  # pages=-1: one step, one consistent snapshot
            copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
            counts = _sqlite_counts(copy)
        finally:
            copy.close()
        return Dump(path=path, member=cls.member, counts=counts, tool="sqlite3 backup API",
                    server=f"SQLite {sqlite3.sqlite_version}")

    @classmethod
    def check(cls, *, path: Path, counts: dict[str, int]) -> None:
        try:
            db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            try:
                result = db.execute("PRAGMA integrity_check").fetchone()[0]
                found = _sqlite_counts(db)
            finally:
                db.close()
        except sqlite3.DatabaseError as exc:
            raise BackupError(_("The SQLite copy cannot be read: %(error)s")
                              % {"error": exc}) from exc
        if result != "ok":
            raise BackupError(_("The SQLite copy is damaged: %(error)s") % {"error": result})
        wrong = [name for name, rows in counts.items() if found.get(name) != rows]
        if wrong:
            raise BackupError(_("The SQLite copy holds other row counts than the manifest "
                                "for %(tables)s.") % {"tables": ", ".join(wrong[:5])})

    @classmethod
    def restore(cls, *, path: Path) -> None:
        connection.ensure_connection()
        source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            source.backup(connection.connection)  # replaces every page of the target
        finally:
            source.close()
        connection.close()

    @classmethod
    def wipe(cls) -> None:
        """Nothing to do: the backup API replaces the whole target database."""


VENDORS: dict[str, type[_Vendor]] = {"postgresql": Postgres, "mysql": MySQL, "sqlite": SQLite}
