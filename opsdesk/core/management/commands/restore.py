"""`opsdesk restore FILE`: an archive of `opsdesk backup` into an empty database and media."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ...backup_db import BackupError
from ...backup_restore import backup_restore


class Command(BaseCommand):
    @property
    def help(self) -> str:  # argparse needs a real string, translated when asked for
        return _("Restore a backup archive into the configured database and media folder, "
                 "then check the row counts and file hashes against its manifest.")

    def add_arguments(self, parser):
        parser.add_argument("archive", type=Path, metavar="FILE")
        parser.add_argument("--force", action="store_true", help=gettext_lazy(
            "Drop the tables of a database that is not empty and move a media folder with "
            "files aside, then restore."))

    def handle(self, *args, archive: Path, force: bool, **options):
        if not archive.is_file():
            raise CommandError(_("No such file: %(path)s") % {"path": archive})
        try:
            restored = backup_restore(path=archive, force=force)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        if restored.moved_aside:
            self.stdout.write(_("The previous media folder was moved to %(path)s.")
                              % {"path": restored.moved_aside})
        for problem in restored.problems:
            self.stderr.write(problem)
        if restored.problems:
            raise CommandError(_("The restore does not match the backup: %(count)d problem(s) "
                                 "listed above.") % {"count": len(restored.problems)})
        self.stdout.write(_("Restored %(path)s (made %(created)s): %(tables)d tables, %(rows)d "
                            "rows and %(files)d files, all matching the manifest.") % {
            "path": archive, "created": restored.manifest["created"],
            "tables": restored.tables, "rows": restored.rows, "files": restored.files})
        self.stdout.write(_("Next: run `opsdesk manage migrate` if this opsdesk is newer than "
                            "the backup, then start opsdesk."))
