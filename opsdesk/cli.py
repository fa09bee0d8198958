"""The `opsdesk` console script: a thin front to opsdesk's Django management commands."""

import os
import sys

# opsdesk subcommand -> Django management command (in opsdesk/core/management/commands)
COMMANDS = {
    "up": "up",
    "token": "token",
    "audit-verify": "audit_verify",  # the audit log's and history's hash chains
    "demo": "demo_data",
    "load-reference": "load_reference",
    "backup": "backup",
    "restore": "restore",
}
HELP_WORDS = ("help", "-h", "--help")


def main(argv: list[str] | None = None) -> None:
    """Run `opsdesk <command> …`; `opsdesk manage …` runs any Django management command."""
    argv = sys.argv[1:] if argv is None else list(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django
    from django.core.management import ManagementUtility

    django.setup()
    command, rest = (argv[0], argv[1:]) if argv else ("help", [])
    if command == "manage":
        ManagementUtility(["opsdesk manage", *rest]).execute()
    elif command in COMMANDS:
        ManagementUtility(["opsdesk", COMMANDS[command], *rest]).execute()
    elif command in HELP_WORDS:
        print(_usage())
    else:
        _refuse(command)


def _usage() -> str:
    """What the script can do."""
    from django.utils.translation import gettext as _

    return "\n".join([
        _("Usage: opsdesk <command> [options]"), "",
        _("  up [--demo] [--host H] [--port P] [--workers N]   run opsdesk"),
        _("  token create|revoke|list …                         personal API tokens"),
        _("  demo [--incidents N]                               create the demo company"),
        _("  load-reference                                     load the default codes"),
        _("  backup [--output PATH] [--keep N] [--verify FILE]  archive database + files"),
        _("  restore FILE [--force]                             restore a backup archive"),
        _("  manage <django command> …                          any manage.py command"),
        "", _("Add --help after a command for its options."),
    ])


def _refuse(command: str) -> None:
    """Unknown command: say so, show the usage, exit 2 like argparse does."""
    from django.utils.translation import gettext as _

    print(_("Unknown command: %(command)s") % {"command": command}, file=sys.stderr)
    print(_usage(), file=sys.stderr)
    sys.exit(2)


if __name__ == "__main__":
    main()
