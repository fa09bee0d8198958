"""Backup and restore (issue 9): the restore drill on the configured database, and refusals.

The drill backs up the test database and media folder, restores the archive with the real
console script into a fresh database and a fresh data folder (a process of its own, as an
operator runs it), and compares the facts of both sides (opsdesk/core/backup_drill.py). It
runs on whichever database DATABASE_URL names: SQLite, PostgreSQL or MariaDB.
"""

import io
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import translation

from opsdesk.core import backup_drill
from opsdesk.core.testing.factories import UserFactory
from opsdesk.core.testing.matrix import incident_in
from opsdesk.incidents.choices import Status
from opsdesk.incidents.services import attachment_create, comment_create

BASE_DIR = Path(settings.BASE_DIR)


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return Path(settings.MEDIA_ROOT)


@pytest.fixture
def company(reference_data, org, media):
    """Users, incidents in several states with history, replies, work notes and files."""
    for n in range(5):
        UserFactory(username=f"staff{n}", email=f"staff{n}@example.com", department=org.dept)
    incidents = [incident_in(status, org) for status in
                 (Status.LOGGED, Status.IN_PROGRESS, Status.RESOLVED, Status.IN_PROGRESS)]
    for number, incident in enumerate(incidents[1:], start=1):
        comment_create(incident=incident, by=org.engineer, body=f"重启了交换机 {number}")
        comment_create(incident=incident, by=org.engineer, body="NIC driver suspected",
                       visibility="internal")
        attachment_create(incident=incident, by=org.requester, upload=SimpleUploadedFile(
            f"screen-{number}.png", b"\x89PNG\r\n\x1a\n" + os.urandom(3000),
            content_type="image/png"))
        attachment_create(incident=incident, by=org.engineer, visibility="internal",
                          upload=SimpleUploadedFile("trace.txt", "日志 %d\n".encode() % number
                                                    * 200, content_type="text/plain"))
    return incidents


def _opsdesk(*args, env: dict) -> subprocess.CompletedProcess:
    """The console script, in a process of its own (the operator's way to run it)."""
    return subprocess.run([sys.executable, "-m", "opsdesk.cli", *args], cwd=BASE_DIR,
                          env=env, capture_output=True, text=True, timeout=300, check=False)


class FreshTarget:
    """An empty database of the configured vendor and an empty data folder, for a restore."""

    def __init__(self, tmp_path: Path):
        self.settings = connection.settings_dict
        self.vendor = connection.vendor
        self.name = f"{self.settings['NAME']}_restored"
        self.data_dir = tmp_path / "restored-data"
        self.data_dir.mkdir()

    def __enter__(self):
        self._drop()
        if self.vendor == "postgresql":
            self._execute(f'CREATE DATABASE "{self.name}"')
        elif self.vendor == "mysql":
            self._execute(f"CREATE DATABASE `{self.name}` CHARACTER SET utf8mb4 "
                          "COLLATE utf8mb4_unicode_ci")
        return self

    def __exit__(self, *exc):
        self._drop()

    def _drop(self):
        if self.vendor == "postgresql":
            self._execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        elif self.vendor == "mysql":
            self._execute(f"DROP DATABASE IF EXISTS `{self.name}`")

    @staticmethod
    def _execute(sql: str) -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql)

    @property
    def url(self) -> str:
        if self.vendor == "sqlite":
            return f"sqlite:///{self.data_dir / 'restored.sqlite3'}"
        scheme = "postgres" if self.vendor == "postgresql" else "mysql"
        login = self.settings["USER"] + (f":{self.settings['PASSWORD']}"
                                         if self.settings["PASSWORD"] else "")
        return (f"{scheme}://{login}@{self.settings['HOST']}:{self.settings['PORT']}/"
                f"{self.name}")

    @property
    def env(self) -> dict:
        return {**os.environ, "DATABASE_URL": self.url, "OPSDESK_DATA_DIR": str(self.data_dir),
                "SECRET_KEY": settings.SECRET_KEY, "LANGUAGE_CODE": "en",
                "DJANGO_SETTINGS_MODULE": "config.settings"}

    def facts(self) -> dict:
        done = subprocess.run([sys.executable, "-m", "opsdesk.core.backup_drill"], cwd=BASE_DIR,
                              env=self.env, capture_output=True, text=True, timeout=120,
                              check=False)
        assert done.returncode == 0, done.stderr[-3000:]
        return json.loads(done.stdout)


def _facts_here() -> dict:
    """The original's facts, through JSON like the restored side's."""
    return json.loads(json.dumps(backup_drill.drill_facts(), sort_keys=True, default=str))


def test_restore_drill_round_trips_database_and_attachments(company, media, tmp_path):
    archive = tmp_path / "nightly.tar"
    call_command("backup", output=archive, stdout=io.StringIO())
    original = _facts_here()
    assert len(original["attachments"]) == 6 and len(original["comments"]) == 6
    assert original["counts"]["incidents_incident"] == 4
    assert original["audit_verify"] in ("ok", "absent")
    with FreshTarget(tmp_path) as target:
        restored = _opsdesk("restore", str(archive), env=target.env)
        assert restored.returncode == 0, restored.stderr[-3000:]
        assert "all matching the manifest" in restored.stdout
        assert target.facts() == original
        restored_media = target.data_dir / "media"
        assert sorted(p.relative_to(restored_media) for p in restored_media.rglob("*")) == \
            sorted(p.relative_to(media) for p in media.rglob("*"))

        again = _opsdesk("restore", str(archive), env=target.env)
        assert again.returncode != 0 and "is not empty" in again.stderr
        forced = _opsdesk("restore", str(archive), "--force", env=target.env)
        assert forced.returncode == 0, forced.stderr[-3000:]
        assert "moved to" in forced.stdout
        assert target.facts() == original


def test_manifest_lists_tables_migrations_and_file_hashes(company, media, tmp_path):
    archive = tmp_path / "b.tar"
    call_command("backup", output=archive, stdout=io.StringIO())
    with tarfile.open(archive) as tar:
        names = tar.getnames()
        manifest = json.loads(tar.extractfile("manifest.json").read())
    assert names[-1] == "manifest.json"
    assert manifest["format"] == 1 and manifest["database"]["vendor"] == connection.vendor
    assert manifest["database"]["counts"]["incidents_attachment"] == 6
    assert ["incidents", "0001_initial"] in manifest["migrations"]
    files = {entry["path"]: entry for entry in manifest["files"]}
    for path in media.rglob("*"):
        if path.is_file():
            entry = files[f"media/{path.relative_to(media).as_posix()}"]
            assert entry["size"] == path.stat().st_size
    out = io.StringIO()
    call_command("backup", verify=archive, stdout=out)
    assert "The archive is sound" in out.getvalue()


def _rewrite(source: Path, target: Path, change) -> None:
    """Copy an archive, passing each member's (info, bytes) through change()."""
    with tarfile.open(source) as old, tarfile.open(target, "w", format=tarfile.PAX_FORMAT) as new:
        for info in old:
            data = old.extractfile(info).read()
            data = change(info, data)
            info.size = len(data)
            new.addfile(info, io.BytesIO(data))


def test_a_corrupt_archive_is_refused_before_anything_changes(company, tmp_path):
    archive, corrupt = tmp_path / "b.tar", tmp_path / "corrupt.tar"
    call_command("backup", output=archive, stdout=io.StringIO())

    def flip_a_byte_of_an_attachment(info, data):
        if info.name.startswith("media/") and len(data) > 10:
            return data[:10] + bytes([data[10] ^ 0xFF]) + data[11:]
        return data

    _rewrite(archive, corrupt, flip_a_byte_of_an_attachment)
    with pytest.raises(CommandError, match="The archive is corrupt"):
        call_command("backup", verify=corrupt, stdout=io.StringIO())
    rows = connection.introspection.table_names()
    with pytest.raises(CommandError, match="The archive is corrupt"):
        call_command("restore", str(corrupt), stdout=io.StringIO())
    assert connection.introspection.table_names() == rows
    truncated = tmp_path / "truncated.tar"
    truncated.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    with pytest.raises(CommandError, match="not a complete backup archive|has no manifest"):
        call_command("backup", verify=truncated, stdout=io.StringIO())


def test_a_damaged_database_dump_is_found_by_verify(company, tmp_path):
    """Even with a manifest that matches the damaged bytes, the dump itself must read."""
    import hashlib

    archive, damaged = tmp_path / "b.tar", tmp_path / "damaged.tar"
    call_command("backup", output=archive, stdout=io.StringIO())
    new_hash = {}

    def cut_the_dump(info, data):
        if info.name.startswith("database/"):
            data = data[: len(data) // 2]
            new_hash[info.name] = (len(data), hashlib.sha256(data).hexdigest())
        elif info.name == "manifest.json":
            manifest = json.loads(data)
            for entry in manifest["files"]:
                if entry["path"] in new_hash:
                    entry["size"], entry["sha256"] = new_hash[entry["path"]]
            data = json.dumps(manifest).encode()
        return data

    _rewrite(archive, damaged, cut_the_dump)
    with pytest.raises(CommandError, match="cannot be read|cut short|damaged|row counts"):
        call_command("backup", verify=damaged, stdout=io.StringIO())


def test_restore_refuses_a_newer_opsdesk_and_another_vendor(company, tmp_path):
    archive = tmp_path / "b.tar"
    call_command("backup", output=archive, stdout=io.StringIO())

    def manifest_edit(edit):
        def change(info, data):
            if info.name != "manifest.json":
                return data
            manifest = json.loads(data)
            edit(manifest)
            return json.dumps(manifest).encode()
        return change

    newer = tmp_path / "newer.tar"
    _rewrite(archive, newer, manifest_edit(
        lambda m: m["migrations"].append(["incidents", "9999_from_the_future"])))
    with pytest.raises(CommandError, match="made by a newer opsdesk"):
        call_command("restore", str(newer), stdout=io.StringIO())
    other = {"sqlite": "postgresql"}.get(connection.vendor, "sqlite")
    elsewhere = tmp_path / "elsewhere.tar"
    _rewrite(archive, elsewhere, manifest_edit(
        lambda m: m["database"].update(vendor=other)))
    with pytest.raises(CommandError, match=f"This backup is of a {other} database"):
        call_command("restore", str(elsewhere), stdout=io.StringIO())


def test_restore_refuses_a_database_that_is_not_empty(company, tmp_path):
    archive = tmp_path / "b.tar"
    call_command("backup", output=archive, stdout=io.StringIO())
    with pytest.raises(CommandError, match="is not empty.*--force"):
        call_command("restore", str(archive), stdout=io.StringIO())


def test_backup_keeps_the_newest_archives(company, tmp_path, settings):
    folder = tmp_path / "backups"
    folder.mkdir()
    for stamp in ("20260101T000000Z", "20260102T000000Z", "20260103T000000Z"):
        (folder / f"opsdesk-backup-{stamp}.tar").write_bytes(b"old")
    out = io.StringIO()
    call_command("backup", output=folder, keep=2, stdout=out)
    left = sorted(p.name for p in folder.iterdir())
    assert len(left) == 2 and left[0] == "opsdesk-backup-20260103T000000Z.tar"
    assert "Removed old backup" in out.getvalue()
    assert not list(folder.glob("*.partial"))


def test_cli_lists_backup_and_restore():
    from opsdesk.cli import COMMANDS, _usage

    assert COMMANDS["backup"] == "backup" and COMMANDS["restore"] == "restore"
    assert "backup [--output PATH]" in _usage() and "restore FILE" in _usage()


def test_a_backup_taken_while_incidents_and_files_are_written_restores_consistently(
        company, org, media, tmp_path):
    """The dump is one snapshot and the files are read after it: the restore's own checks
    (every table's rows as the manifest says, every attachment row's file present) hold
    although a writer kept adding incidents with attachments during the backup."""
    import threading

    from django.db import connections

    stop, written = threading.Event(), []

    def writer():
        try:
            while not stop.is_set():
                incident = incident_in(Status.IN_PROGRESS, org)
                attachment_create(incident=incident, by=org.requester, upload=SimpleUploadedFile(
                    "during.png", b"\x89PNG\r\n\x1a\n" + os.urandom(500),
                    content_type="image/png"))
                written.append(incident.number)
        finally:
            connections.close_all()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        archive = tmp_path / "busy.tar"
        call_command("backup", output=archive, stdout=io.StringIO())
    finally:
        stop.set()
        thread.join()
    assert written, "the writer wrote nothing during the backup"
    with FreshTarget(tmp_path) as target:
        restored = _opsdesk("restore", str(archive), env=target.env)
        assert restored.returncode == 0, restored.stderr[-3000:]
        assert "all matching the manifest" in restored.stdout
