"""`opsdesk backup`: the database and the attachments in one verifiable archive.

The archive is a plain tar (the database dump is compressed by its own tool or gzip; the
attachments are mostly compressed already):

    database/opsdesk.<pgdump|sql.gz|sqlite3>   the dump (backup_db.py)
    media/…                                    every file under MEDIA_ROOT
    manifest.json                              written last: what a restore must find

The manifest holds the format version, the time, the database vendor and server, the applied
migrations, the row count of every table and the size and SHA-256 of every file. A backup is
written to `<name>.partial` and renamed only when complete, so a name without the suffix is
always a whole archive.

Consistency while opsdesk runs: the database is dumped from one snapshot first, and MEDIA_ROOT
is walked after it. opsdesk writes an attachment's file before the row that points at it
commits, and deletes files only when their row never committed, so every file a dumped row
names is in the archive. Files written after the snapshot may be in it too (orphans after a
restore, harmless); a file being written while it is read is left out and listed under
"skipped".
"""

import hashlib
import io
import json
import os
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.utils.translation import gettext as _

from . import backup_db
from .backup_db import BackupError

FORMAT = 1
MANIFEST = "manifest.json"
MEDIA_PREFIX = "media/"
ARCHIVE_PREFIX = "opsdesk-backup-"
ARCHIVE_SUFFIX = ".tar"
CHUNK = 1024 * 1024


@dataclass
class Created:
    """What `backup_create` wrote: the archive, its manifest, the archives it removed."""

    path: Path
    manifest: dict
    removed: list[Path]


def backup_create(*, output: Path | None = None, keep: int | None = None) -> Created:
    """Write a backup archive of the database and MEDIA_ROOT; keep the newest `keep` ones."""
    target = _target_path(output)
    partial = target.with_name(target.name + ".partial")
    dumper = backup_db.dumper_for(backup_db.vendor())
    with tempfile.TemporaryDirectory(prefix="opsdesk-backup-") as work:
        dump = dumper.dump(into=Path(work))  # the snapshot comes first, then the files
        manifest = _manifest_start(dump)
        try:
            with tarfile.open(partial, "w", format=tarfile.PAX_FORMAT) as tar:
                manifest["files"].append(_add(tar, dump.path, dump.member))
                _add_media(tar, manifest)
                _add_bytes(tar, MANIFEST, json.dumps(manifest, indent=1).encode())
            _fsync(partial)
            partial.replace(target)
        finally:
            partial.unlink(missing_ok=True)
    removed = _prune(target.parent, keep) if keep else []
    return Created(path=target, manifest=manifest, removed=removed)


def _target_path(output: Path | None) -> Path:
    """The archive's path: `output` itself, or a timestamped name in it when it is a folder."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    name = f"{ARCHIVE_PREFIX}{stamp}{ARCHIVE_SUFFIX}"
    if output is None:
        output = Path(settings.DATA_DIR) / "backups"
        output.mkdir(parents=True, exist_ok=True)
    if output.is_dir():
        return output / name
    if not output.parent.is_dir():
        raise BackupError(_("The folder %(folder)s does not exist.") % {"folder": output.parent})
    return output


def _manifest_start(dump: backup_db.Dump) -> dict:
    return {
        "format": FORMAT,
        "opsdesk_version": metadata.version("opsdesk"),
        "created": datetime.now(UTC).isoformat(),
        "database": {"vendor": backup_db.vendor(), "server": dump.server, "tool": dump.tool,
                     "member": dump.member, "counts": dump.counts},
        "migrations": sorted(MigrationRecorder(connection).applied_migrations()),
        "files": [],
        "skipped": [],
    }


class _HashingReader(io.RawIOBase):
    """Reads a file for tarfile while hashing it, so every file is read exactly once."""

    def __init__(self, stream):
        self.stream, self.digest, self.size = stream, hashlib.sha256(), 0

    def read(self, size=-1):
        data = self.stream.read(size)
        self.digest.update(data)
        self.size += len(data)
        return data


def _add(tar: tarfile.TarFile, path: Path, name: str) -> dict:
    """Add one file; returns its manifest entry. OSError if it changed size meanwhile."""
    with open(path, "rb") as stream:
        info = tar.gettarinfo(fileobj=stream, arcname=name)
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        reader = _HashingReader(stream)
        tar.addfile(info, reader)
    return {"path": name, "size": reader.size, "sha256": reader.digest.hexdigest()}


def _add_media(tar: tarfile.TarFile, manifest: dict) -> None:
    """Every regular file under MEDIA_ROOT, in name order (symbolic links are not followed)."""
    root = Path(settings.MEDIA_ROOT)
    if not root.is_dir():
        return
    for path in sorted(root.rglob("*")):
        if path.is_symlink() or not path.is_file():
            continue
        name = MEDIA_PREFIX + path.relative_to(root).as_posix()
        offset = tar.offset
        try:
            manifest["files"].append(_add(tar, path, name))
        except OSError:  # written or removed while read: newer than the database snapshot
            tar.fileobj.seek(offset)
            tar.fileobj.truncate()
            tar.offset = offset
            manifest["skipped"].append(name)


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(datetime.now(UTC).timestamp())
    info.mode = 0o600
    tar.addfile(info, io.BytesIO(data))


def _fsync(path: Path) -> None:
    with open(path, "rb") as stream:
        os.fsync(stream.fileno())


def _prune(folder: Path, keep: int) -> list[Path]:
    """Remove all but the newest `keep` archives of this naming in folder (names sort by time)."""
    archives = sorted(folder.glob(f"{ARCHIVE_PREFIX}*{ARCHIVE_SUFFIX}"))
    removed = archives[:-keep] if keep > 0 else []
    for path in removed:
        path.unlink()
    return removed


# --- reading and verifying --------------------------------------------------------------------


def backup_verify(*, path: Path, dump_into: Path | None = None) -> dict:
    """Check an archive end to end; return its manifest, or raise BackupError saying why not.

    Every member's SHA-256 and size must match the manifest, nothing may be missing or extra,
    and the database dump must be readable and hold the manifest's row counts. With
    dump_into, the database dump is left there (as its member's base name) for a restore.
    """
    with tempfile.TemporaryDirectory(prefix="opsdesk-verify-") as work:
        folder = dump_into or Path(work)
        manifest = archive_read(path=path, dump_into=folder)
        dump_check(manifest=manifest, folder=folder)
    return manifest


def archive_read(*, path: Path, dump_into: Path) -> dict:
    """The manifest, once every member matched it; the dump is left in dump_into."""
    manifest, digests = _read_all(path, dump_into=dump_into)
    _compare(manifest, digests)
    return manifest


def dump_check(*, manifest: dict, folder: Path) -> None:
    """The database dump that archive_read left in folder reads and holds the manifest's rows."""
    database = manifest["database"]
    dump = folder / Path(database["member"]).name
    backup_db.dumper_for(database["vendor"]).check(path=dump, counts=database["counts"])


def _read_all(path: Path, *, dump_into: Path) -> tuple[dict, dict[str, tuple[int, str]]]:
    """One pass over the archive: (manifest, {member: (size, sha256)}); the dump is copied out."""
    digests: dict[str, tuple[int, str]] = {}
    manifest_bytes = None
    try:
        with tarfile.open(path, "r:") as tar:
            for info in tar:
                if not info.isfile():
                    raise BackupError(_("The archive holds %(name)s, which is not a regular "
                                        "file: it was not written by opsdesk backup.")
                                      % {"name": info.name})
                stream = tar.extractfile(info)
                if info.name == MANIFEST:
                    manifest_bytes = stream.read()
                    continue
                sink = (open(dump_into / Path(info.name).name, "wb")  # noqa: SIM115
                        if info.name.startswith("database/") else None)
                digests[info.name] = _hash_stream(stream, sink)
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise BackupError(_("%(path)s is not a complete backup archive (%(error)s).")
                          % {"path": path, "error": exc}) from exc
    return _parse_manifest(manifest_bytes, path), digests


def _hash_stream(stream, sink=None) -> tuple[int, str]:
    digest, size = hashlib.sha256(), 0
    try:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
            if sink:
                sink.write(chunk)
    finally:
        if sink:
            sink.close()
    return size, digest.hexdigest()


def _parse_manifest(data: bytes | None, path: Path) -> dict:
    if data is None:
        raise BackupError(_("%(path)s has no manifest.json: it is not an opsdesk backup, or "
                            "it is cut short.") % {"path": path})
    try:
        manifest = json.loads(data)
        manifest["database"]["counts"], manifest["files"]  # noqa: B018 (the keys must exist)
    except (ValueError, KeyError, TypeError) as exc:
        raise BackupError(_("The manifest of %(path)s is damaged (%(error)s).")
                          % {"path": path, "error": exc}) from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(_("%(path)s has backup format %(format)s; this opsdesk reads format "
                            "%(ours)s.") % {"path": path, "format": manifest.get("format"),
                                            "ours": FORMAT})
    return manifest


def _compare(manifest: dict, digests: dict[str, tuple[int, str]]) -> None:
    """Every file of the manifest present with its size and hash, and nothing else."""
    expected = {entry["path"]: (entry["size"], entry["sha256"]) for entry in manifest["files"]}
    damaged = sorted(name for name in expected if digests.get(name) != expected[name])
    extra = sorted(set(digests) - set(expected))
    if damaged or extra:
        names = ", ".join((damaged + extra)[:5])
        raise BackupError(_("The archive is corrupt: %(count)d file(s) are missing, changed or "
                            "unexpected (%(names)s). Restore from another backup.")
                          % {"count": len(damaged) + len(extra), "names": names})


def media_extract(*, path: Path, manifest: dict, into: Path) -> int:
    """Write the archive's media files under `into`, checking each hash again; returns bytes."""
    expected = {entry["path"]: entry for entry in manifest["files"]}
    written = 0
    with tarfile.open(path, "r:") as tar:
        for info in tar:
            if not info.name.startswith(MEDIA_PREFIX):
                continue
            target = _safe_target(into, info.name[len(MEDIA_PREFIX):])
            target.parent.mkdir(parents=True, exist_ok=True)
            size, digest = _hash_stream(tar.extractfile(info), open(target, "wb"))  # noqa: SIM115
            if (size, digest) != (expected[info.name]["size"], expected[info.name]["sha256"]):
                raise BackupError(_("%(name)s changed while it was restored.")
                                  % {"name": info.name})
            written += size
    return written


def _safe_target(root: Path, relative: str) -> Path:
    """root/relative, refusing absolute names and '..' (a crafted archive cannot escape)."""
    parts = Path(relative).parts
    if not parts or Path(relative).is_absolute() or ".." in parts:
        raise BackupError(_("The archive names a file outside the media folder: %(name)s.")
                          % {"name": relative})
    return root.joinpath(*parts)
