"""What a restore drill compares: the facts of a database and its files, as JSON.

Run on the original and, in a process configured for the restored copy, on the restore:

    DATABASE_URL=… OPSDESK_DATA_DIR=… python -m opsdesk.core.backup_drill

Equal output means the copy holds the same rows, the same sample records (users, incidents,
comments, history, attachments with the SHA-256 of their bytes as read back from storage), and
that the history's own verification (`manage.py audit_verify`, when installed) passes on it.
"""

import hashlib
import io
import json
import os
import sys


def drill_facts(*, sample: int = 50) -> dict:
    """Row counts of every table and the newest `sample` records of each kind, comparable."""
    from .backup_db import table_counts, table_names

    return {"counts": table_counts(table_names()), "users": _users(sample),
            "incidents": _incidents(sample), "comments": _comments(sample),
            "history": _history(sample), "attachments": _attachments(sample),
            "audit_verify": _audit_verify()}


def _users(sample: int) -> list:
    from opsdesk.accounts.models import User

    return list(User.objects.order_by("-id").values_list(
        "username", "email", "display_name", "password", "department__code", "is_active",
        "is_service_desk", "is_engineer")[:sample])


def _incidents(sample: int) -> list:
    from opsdesk.incidents.models import Incident

    rows = Incident.objects.order_by("-id").values_list(
        "number", "short_description", "description", "status", "priority", "requester__username",
        "assignment_group__code", "assignee__username", "registered_at", "updated_at")[:sample]
    return [_plain(row) for row in rows]


def _comments(sample: int) -> list:
    from opsdesk.incidents.models import Comment

    rows = Comment.objects.order_by("-id").values_list(
        "incident__number", "author__username", "body", "visibility", "created_at")[:sample]
    return [_plain(row) for row in rows]


def _history(sample: int) -> list:
    from opsdesk.incidents.models import IncidentEvent

    rows = IncidentEvent.objects.order_by("-id").values_list(
        "incident__number", "kind", "actor__username", "at", "field", "old_value", "new_value",
        "from_status", "to_status", "data")[:sample]
    return [_plain(row) for row in rows]


def _attachments(sample: int) -> list:
    """Each attachment's record and the SHA-256 of the bytes storage gives back for it."""
    from opsdesk.incidents.models import Attachment

    facts = []
    for attachment in Attachment.objects.order_by("-id").select_related("incident")[:sample]:
        with attachment.file.open("rb") as stream:
            digest = hashlib.sha256(stream.read()).hexdigest()
        facts.append([attachment.incident.number, attachment.filename, attachment.size,
                      attachment.sha256, digest])
    return facts


def _audit_verify() -> str:
    """'absent' when no audit_verify command is installed, 'ok' or its error otherwise."""
    from django.core.management import call_command, get_commands
    from django.core.management.base import CommandError

    if "audit_verify" not in get_commands():
        return "absent"
    try:
        call_command("audit_verify", stdout=io.StringIO(), stderr=io.StringIO())
    except (CommandError, SystemExit) as exc:
        return f"failed: {exc}"
    return "ok"


def _plain(row) -> list:
    """JSON-comparable values: times as ISO text (in UTC), everything else as it is."""
    return [value.isoformat() if hasattr(value, "isoformat") else value for value in row]


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    json.dump(drill_facts(), sys.stdout, sort_keys=True, default=str)


if __name__ == "__main__":
    main()
