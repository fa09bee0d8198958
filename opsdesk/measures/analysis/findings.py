"""The analysis in plain sentences, biggest contributors first.

"P2 incidents spent 41 % of their time to resolution waiting in NET's queue before anyone
accepted them." Each finding keeps its figure and key, so the page links its number to the
incidents behind it, and its template and parameters, so the page can put that link inside the
sentence while the API returns the plain text.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .labels import (duration_text, group_short, holder_from_key, path_label, percent_text,
                     reason_label, subject)
from .report import Analysis, PathRow

MAX_HOLDER_FINDINGS = 4
MIN_SHARE = 1.0  # per cent of the time to resolution; smaller contributors stay in the tables


@dataclass
class Finding:
    """One sentence: a template with %(number)s for the linked figure, and its parameters."""

    figure: str
    key: str
    template: str
    number: str
    params: dict = field(default_factory=dict)

    @property
    def text(self) -> str:
        return self.template % {**self.params, "number": self.number}


def findings(analysis: Analysis) -> list[Finding]:
    """The biggest holders of time to resolution, then ping-pong, then the slowest path."""
    result = [_holder_finding(analysis, row) for row in analysis.holders
              if row.share is not None and row.share >= MIN_SHARE][:MAX_HOLDER_FINDINGS]
    if analysis.pingpong_incidents:
        result.append(_pingpong_finding(analysis))
    if analysis.slow_status_paths:
        result.append(_path_finding(analysis.slow_status_paths[0]))
    return result


def _holder_finding(analysis: Analysis, row) -> Finding:
    holder = holder_from_key(row.key)
    templates = {
        "desk": _("%(subject)s spent %(number)s of their time to resolution unassigned at the "
                  "service desk."),
        "queue": _("%(subject)s spent %(number)s of their time to resolution waiting in "
                   "%(group)s's queue before anyone accepted them."),
        "work": _("%(subject)s spent %(number)s of their time to resolution being worked on by "
                  "%(group)s."),
        "user": _("%(subject)s spent %(number)s of their time to resolution waiting for the "
                  "user."),
        "vendor": _("%(subject)s spent %(number)s of their time to resolution waiting for a "
                    "vendor."),
        "approval": _("%(subject)s spent %(number)s of their time to resolution waiting for "
                      "approval."),
        "pending": _("%(subject)s spent %(number)s of their time to resolution pending with "
                     "%(group)s (%(reason)s)."),
    }
    template = templates[holder.kind]
    if holder.kind == "work" and not holder.group:
        template = _("%(subject)s spent %(number)s of their time to resolution being worked "
                     "on at the service desk.")
    if holder.kind in ("user", "vendor") and row.clock == 0:
        template += " " + _("The SLA clock stood still meanwhile.")
    template += " " + ngettext("%(incidents)s incident, %(mean)s.",
                               "%(incidents)s incidents, %(mean)s each on average.",
                               row.incidents)
    return Finding("holder", row.key, template, percent_text(row.share), {
        "subject": subject(analysis.filters.priority_level), "group": group_short(holder.group),
        "reason": reason_label(holder.reason), "incidents": row.incidents,
        "mean": duration_text(row.business.mean)})


def _pingpong_finding(analysis: Analysis) -> Finding:
    top = analysis.pingpong_pairs[0]
    return Finding("pingpong", "", ngettext(
        "%(number)s of these incidents went back and forth between groups (A → B → A), most "
        "often between %(a)s and %(b)s (%(pair)s incident).",
        "%(number)s of these incidents went back and forth between groups (A → B → A), most "
        "often between %(a)s and %(b)s (%(pair)s incidents).", top.incidents),
        percent_text(analysis.pingpong_share),
        {"a": top.groups[0], "b": top.groups[1], "pair": top.incidents})


def _path_finding(row: PathRow) -> Finding:
    return Finding("status_path_done", row.key, ngettext(
        "The slowest path, %(path)s, took %(number)s to resolution (%(incidents)s incident).",
        "The slowest path, %(path)s, took %(number)s to resolution (median of %(incidents)s "
        "incidents).", row.business.count), duration_text(row.business.median),
        {"path": path_label("status", row.steps), "incidents": row.business.count})
