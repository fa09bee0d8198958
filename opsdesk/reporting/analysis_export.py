"""The process analysis (measures.analysis) as tables: where the time goes, hand-offs,
ping-pong and the paths, for a spreadsheet. The numbers are the analysis's own; times are in
hours (business time on the resolution calendar, and wall time), two decimals.
"""

from django.utils.translation import gettext as _

from opsdesk.measures.analysis import analysis_build, analysis_filters, labels
from opsdesk.measures.analysis.report import Analysis

from .tables import Table


def _hours(seconds) -> float | None:
    return None if seconds is None else round(seconds / 3600, 2)


def _percent(share) -> float | None:
    return share  # the analysis's shares are per cent already, one decimal


def analysis_tables(analysis: Analysis) -> list[Table]:
    """Time per status, group, line and holder; hand-offs; ping-pong pairs; the paths."""
    columns = [_("Incidents"), _("Business hours, mean"), _("Business hours, median"),
               _("Business hours, p90"), _("Business hours, total"), _("Wall hours, mean"),
               _("Wall hours, median"), _("Share of the time to resolution (%)")]

    def times(title, head, rows, label):
        return Table(title=title, columns=[head, *columns], widths=[40, 10, 12, 12, 12, 12, 12,
                                                                     12, 14],
                     rows=[[label(r.key), r.incidents, _hours(r.business.mean),
                            _hours(r.business.median), _hours(r.business.p90),
                            _hours(r.business.total), _hours(r.wall.mean), _hours(r.wall.median),
                            _percent(r.share)] for r in rows])

    tables = [
        times(_("Time to resolution"), _("All"), [analysis.open], lambda _k: _("All incidents")),
        times(_("Time per status"), _("Status"), analysis.statuses, labels.status_label),
        times(_("Time per group"), _("Group"), analysis.groups, labels.group_label),
        times(_("Time per line"), _("Line"), analysis.lines, labels.line_label),
        times(_("Who held the clock"), _("Holder"), analysis.holders,
              lambda key: labels.holder_label(labels.holder_from_key(key))),
        Table(title=_("Hand-offs per incident"), columns=[_("Hand-offs"), _("Incidents"),
                                                           _("Share (%)")],
              rows=[[bucket, count, _percent(share)]
                    for bucket, count, share in analysis.handoff_buckets]),
        Table(title=_("Ping-pong between groups"), columns=[_("Group"), _("Group"),
                                                             _("Incidents"), _("Bounces")],
              rows=[[*pair.groups, pair.incidents, pair.bounces]
                    for pair in analysis.pingpong_pairs]),
    ]
    for title, kind, rows in ((_("Most common paths (statuses)"), "status",
                               analysis.status_paths),
                              (_("Slowest paths (statuses)"), "status", analysis.slow_status_paths),
                              (_("Most common paths (groups)"), "group", analysis.group_paths),
                              (_("Slowest paths (groups)"), "group", analysis.slow_group_paths)):
        tables.append(Table(
            title=title, widths=[70, 10, 14, 14, 10],
            columns=[_("Path"), _("Incidents"), _("Business hours to resolve, median"),
                     _("Business hours to resolve, p90"), _("Share (%)")],
            rows=[[labels.path_label(kind, r.steps), r.business.count,
                   _hours(r.business.median), _hours(r.business.p90), _percent(r.share)]
                  for r in rows]))
    return tables


ANALYSIS_PARAMS = ("start", "end", "priority", "group", "category", "service", "channel")


def analysis_export(*, user, params) -> tuple[list[Table], str]:
    """The analysis for the page's parameters as tables, and the period for the file's name
    (NotFound for someone who may not analyse, InvalidInput for bad parameters)."""
    filters = analysis_filters(**{name: params.get(name) or None for name in ANALYSIS_PARAMS})
    analysis = analysis_build(user=user, filters=filters)
    return analysis_tables(analysis), f"{filters.first_day}-{filters.last_day}"
