"""What the analysis's keys are called, in the active language (labels come from memory)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from opsdesk.accounts.models import SupportGroup
from opsdesk.core import lookups
from opsdesk.incidents.choices import Status
from opsdesk.reference.models import PendingReason

from .timeline import NO_GROUP, Holder, holder_from_key  # noqa: F401  (re-exported)

LINE_LABELS = {"1": lambda: _("1st line (service desk)"), "2": lambda: _("2nd line"),
               "3": lambda: _("3rd line"), "user": lambda: _("The user"),
               "vendor": lambda: _("Vendors"), "approval": lambda: _("Approvers")}


def status_label(key) -> str:
    try:
        return str(Status(int(key)).label)
    except ValueError:
        return str(key)


def group_label(code: str | None) -> str:
    """The group's code and name; the service desk for no group."""
    if not code or code == NO_GROUP:
        return _("Service desk (no group)")
    row = lookups.find(SupportGroup, "code", code)
    return f"{code} {row.name}" if row is not None else code


def group_short(code: str | None) -> str:
    """The group's code, or "service desk" for no group (inside sentences and paths)."""
    return code if code and code != NO_GROUP else _("service desk")


def line_label(key: str) -> str:
    return LINE_LABELS[key]() if key in LINE_LABELS else key


def reason_label(code: str | None) -> str:
    row = lookups.lookup(PendingReason, code) if code else None
    return row.name if row is not None else (code or "")


def holder_label(holder: Holder) -> str:
    """Who held the incident, as a table row names it."""
    if holder.kind == "desk":
        return _("Unassigned at the service desk")
    if holder.kind == "queue":
        return _("%(group)s: in the queue, not yet accepted") % {"group": holder.group}
    if holder.kind == "work":
        if not holder.group:
            return _("Service desk: working on it")
        return _("%(group)s: working on it") % {"group": holder.group}
    if holder.kind == "user":
        return _("Waiting for the user")
    if holder.kind == "vendor":
        return _("Waiting for a vendor")
    if holder.kind == "approval":
        return _("Waiting for approval")
    return _("%(group)s: pending (%(reason)s)") % {
        "group": group_short(holder.group), "reason": reason_label(holder.reason)}


def path_label(kind: str, steps) -> str:
    """A path as people read it: Logged → Assigned → In progress …"""
    label = status_label if kind == "status" else group_short
    return " → ".join(label(step) for step in steps)


def subject(priority_level: int | None) -> str:
    """Who the sentences talk about: "P2 incidents", or "Incidents"."""
    if priority_level is None:
        return _("Incidents")
    return _("P%(level)s incidents") % {"level": priority_level}


def percent_text(value: float | None) -> str:
    """41 %, 7.5 % (one decimal, none when whole); — for nothing."""
    if value is None:
        return "—"
    text = f"{value:.1f}".removesuffix(".0")
    return f"{text} %"


def duration_text(seconds: int | None) -> str:
    """Seconds as people read them: 45 min, 3 h 20 min, 2 d 3 h (days of 24 hours)."""
    if seconds is None:
        return "—"
    minutes = round(seconds / 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = []
    if days:
        parts.append(_("%(n)s d") % {"n": days})
    if hours:
        parts.append(_("%(n)s h") % {"n": hours})
    if minutes and not days or not parts:
        parts.append(_("%(n)s min") % {"n": minutes})
    return " ".join(parts)


def figure_label(figure: str, key: str) -> str:
    """What one number of the analysis counts, as the records page's heading says it."""
    if figure == "open":
        return _("Time to resolution")
    if figure == "status":
        return _("Time in status: %(status)s") % {"status": status_label(key)}
    if figure == "group":
        return _("Time with %(group)s") % {"group": group_label(key)}
    if figure == "line":
        return _("Time with %(line)s") % {"line": line_label(key)}
    if figure == "holder":
        return holder_label(holder_from_key(key))
    if figure == "handoffs":
        return _("Hand-offs: %(n)s") % {"n": key} if key else _("Hand-offs")
    if figure == "pingpong":
        if "|" in key:
            a, b = key.split("|", 1)
            return _("Back and forth between %(a)s and %(b)s") % {"a": a, "b": b}
        return _("Back and forth between groups")
    if figure in ("status_path", "group_path"):
        kind = figure.removesuffix("_path")
        return _("Path: %(path)s") % {"path": path_label(kind, key.split(">"))}
    if figure in ("status_path_done", "group_path_done"):
        kind = figure.removesuffix("_path_done")
        return _("Path (finished incidents): %(path)s") % {
            "path": path_label(kind, key.split(">"))}
    step, _sep, rest = key.partition(":")
    source, _sep, target = rest.partition(":")
    label = status_label if figure == "status_flow" else group_short
    return _("Step %(step)s: %(source)s → %(target)s") % {
        "step": int(step) + 1 if step.isdigit() else step, "source": label(source),
        "target": label(target)}
