"""`opsdesk restore`: an archive from `opsdesk backup` back into the database and MEDIA_ROOT.

Nothing is touched until the whole archive has been verified (hashes, manifest, dump) and
the target checked: same database vendor, migrations this code knows, an empty database and
media folder (or --force). Then the database is loaded with the vendor's tool, the files are
written to a staging folder and swapped in, and the result is checked against the manifest:
the row count of every table, the hash of every file, and a file for every attachment row.
"""

import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connections, models
from django.db.migrations.loader import MigrationLoader
from django.utils.translation import gettext as _

from . import backup, backup_db
from .backup_db import BackupError


@dataclass
class Restored:
    """What a restore did and what it checked."""

    manifest: dict
    tables: int = 0
    rows: int = 0
    files: int = 0
    moved_aside: Path | None = None
    problems: list[str] = field(default_factory=list)


def backup_restore(*, path: Path, force: bool = False) -> Restored:
    """Verify the archive, restore it into the configured database and MEDIA_ROOT, check it.

    Refuses (BackupError) a corrupt archive, another database vendor, migrations unknown to
    this code, and a database with tables or a media folder with files unless force. With
    force the database's tables are dropped and the old media folder is moved aside (never
    deleted). Problems found after restoring are returned in `problems`.
    """
    with tempfile.TemporaryDirectory(prefix="opsdesk-restore-") as work:
        manifest = backup.archive_read(path=path, dump_into=Path(work))
        dumper = _preflight(manifest, force=force)
        backup.dump_check(manifest=manifest, folder=Path(work))
        media = Path(settings.MEDIA_ROOT)
        staging = media.with_name(f"{media.name}.restoring-{_stamp()}")
        result = Restored(manifest=manifest)
        try:
            backup.media_extract(path=path, manifest=manifest, into=staging)
            if force:
                dumper.wipe()
            dumper.restore(path=Path(work) / Path(manifest["database"]["member"]).name)
            result.moved_aside = _media_swap(staging, media)
        finally:
            _remove_tree(staging)
    connections.close_all()  # cached state (content types, sequences) belongs to the old data
    _check(manifest, result)
    return result


def _stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


def _preflight(manifest: dict, *, force: bool) -> type:
    """Everything that must hold before the first write; returns the vendor's dumper."""
    vendor = manifest["database"]["vendor"]
    if vendor != backup_db.vendor():
        raise BackupError(_("This backup is of a %(theirs)s database and opsdesk is configured "
                            "for %(ours)s: set DATABASE_URL to a %(theirs)s database.")
                          % {"theirs": vendor, "ours": backup_db.vendor()})
    known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    unknown = [f"{app}.{name}" for app, name in manifest["migrations"]
               if (app, name) not in known]
    if unknown:
        raise BackupError(_("This backup was made by a newer opsdesk (migration %(name)s is "
                            "unknown here): install that version, then restore.")
                          % {"name": unknown[0]})
    tables = backup_db.table_names()
    if tables and not force:
        raise BackupError(_("The database %(name)s is not empty (%(count)d tables). Restore "
                            "into an empty database, or add --force to drop its tables first.")
                          % {"name": connections["default"].settings_dict["NAME"],
                             "count": len(tables)})
    media = Path(settings.MEDIA_ROOT)
    if media.is_dir() and any(media.iterdir()) and not force:
        raise BackupError(_("The media folder %(path)s is not empty. Restore into an empty "
                            "one, or add --force to move it aside first.") % {"path": media})
    return backup_db.dumper_for(vendor)


def _media_swap(staging: Path, media: Path) -> Path | None:
    """Put the restored files in place; an existing folder with files is moved aside."""
    staging.mkdir(parents=True, exist_ok=True)
    aside = None
    if media.is_dir() and any(media.iterdir()):
        aside = media.with_name(f"{media.name}.before-restore-{_stamp()}")
        media.rename(aside)
    elif media.is_dir():
        media.rmdir()
    media.parent.mkdir(parents=True, exist_ok=True)
    staging.rename(media)
    return aside


def _remove_tree(path: Path) -> None:
    import shutil

    shutil.rmtree(path, ignore_errors=True)


def _check(manifest: dict, result: Restored) -> None:
    """Compare the restored data with the manifest; every difference is a problem."""
    expected = manifest["database"]["counts"]
    present = set(backup_db.table_names())
    counts = backup_db.table_counts(name for name in expected if name in present)
    for name, rows in expected.items():
        if counts.get(name) != rows:
            result.problems.append(_("Table %(table)s has %(found)s rows; the backup has "
                                     "%(rows)d.") % {"table": name, "found": counts.get(name),
                                                     "rows": rows})
    result.tables, result.rows = len(counts), sum(counts.values())
    result.files = _check_files(manifest, result.problems)
    result.problems.extend(_missing_referenced_files())


def _check_files(manifest: dict, problems: list[str]) -> int:
    """Hash every restored media file again, from disk."""
    media = Path(settings.MEDIA_ROOT)
    checked = 0
    for entry in manifest["files"]:
        if not entry["path"].startswith(backup.MEDIA_PREFIX):
            continue
        target = media / entry["path"][len(backup.MEDIA_PREFIX):]
        try:
            with open(target, "rb") as stream:
                found = backup._hash_stream(stream)
        except OSError:
            found = None
        if found != (entry["size"], entry["sha256"]):
            problems.append(_("File %(name)s differs from the backup.") % {"name": entry["path"]})
        checked += 1
    return checked


def _missing_referenced_files() -> list[str]:
    """Rows whose file field names a file that is not in storage (at most 20 listed)."""
    missing = []
    for model in apps.get_models():
        for model_field in model._meta.get_fields():
            if not isinstance(model_field, models.FileField):
                continue
            names = (model._base_manager.exclude(**{model_field.name: ""})
                     .values_list(model_field.name, flat=True).iterator(chunk_size=2000))
            missing += [_("%(model)s: file %(name)s is missing.") % {
                "model": model._meta.label, "name": name}
                for name in names if not default_storage.exists(name)][:20 - len(missing)]
    return missing
