"""`opsdesk backup`: the database and the attachments in one archive; --verify checks one."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ...backup import backup_create, backup_verify
from ...backup_db import BackupError


class Command(BaseCommand):
    @property
    def help(self) -> str:  # argparse needs a real string, translated when asked for
        return _("Back up the database and the attachments into one archive with a manifest "
                 "(run it nightly), or check an archive with --verify.")

    def add_arguments(self, parser):
        parser.add_argument("--output", type=Path, help=gettext_lazy(
            "Archive file, or a folder for a timestamped one (default: DATA_DIR/backups)."))
        parser.add_argument("--keep", type=int, help=gettext_lazy(
            "After a successful backup, keep only the newest N archives in its folder."))
        parser.add_argument("--verify", type=Path, metavar="FILE", help=gettext_lazy(
            "Check an archive (hashes, manifest, database dump) instead of making one."))

    def handle(self, *args, output=None, keep=None, verify=None, **options):
        if keep is not None and keep < 1:
            raise CommandError(_("--keep must be 1 or more."))
        try:
            if verify:
                self._verify(verify)
            else:
                self._create(output, keep)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc

    def _create(self, output, keep) -> None:
        created = backup_create(output=output, keep=keep)
        manifest = created.manifest
        self.stdout.write(_("Backup written: %(path)s") % {"path": created.path})
        self.stdout.write(_summary(manifest))
        for name in manifest["skipped"]:
            self.stderr.write(_("Left out (written during the backup): %(name)s")
                              % {"name": name})
        for path in created.removed:
            self.stdout.write(_("Removed old backup %(path)s") % {"path": path})

    def _verify(self, path: Path) -> None:
        if not path.is_file():
            raise CommandError(_("No such file: %(path)s") % {"path": path})
        manifest = backup_verify(path=path)
        self.stdout.write(_("The archive is sound: %(path)s") % {"path": path})
        self.stdout.write(_summary(manifest))


def _summary(manifest: dict) -> str:
    counts = manifest["database"]["counts"]
    media = [entry for entry in manifest["files"] if entry["path"].startswith("media/")]
    return _("%(created)s, %(server)s: %(tables)d tables, %(rows)d rows; %(files)d files, "
             "%(bytes)d bytes.") % {
        "created": manifest["created"], "server": manifest["database"]["server"],
        "tables": len(counts), "rows": sum(counts.values()), "files": len(media),
        "bytes": sum(entry["size"] for entry in media)}
