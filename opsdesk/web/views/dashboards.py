"""The dashboards: live operations (incident manager), a support group's queue (group lead) and
the process (process owner). Every number and every bar links to the workspace list of the
incidents it counts; the figures come from `opsdesk.measures.dashboards` and the KPI engine."""

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from opsdesk.accounts.models import SupportGroup
from opsdesk.core import lookups
from opsdesk.core.dbrouter import reporting_view
from opsdesk.measures import dashboards
from opsdesk.reference.models import Priority
from opsdesk.web import charts

# The labels of dashboards.AGE_BUCKETS, in the same order.
AGE_LABELS = [gettext_lazy("under 1 day"), gettext_lazy("1–3 days"), gettext_lazy("3–7 days"),
              gettext_lazy("7–30 days"), gettext_lazy("over 30 days")]
CLOCK_NAMES = {"response": pgettext_lazy("SLA clock", "Response"),
               "resolution": pgettext_lazy("SLA clock", "Resolution")}
CLOCK_COLOURS = {"risk": {"response": "#f59e0b", "resolution": "#b45309"},
                 "breach": {"response": "#f87171", "resolution": "#b91c1c"}}


@login_required
def home(request):
    """The dashboards this person may open, as cards; 404 when none."""
    choices = _dashboards_for(request.user)
    if not choices:
        raise Http404
    return TemplateResponse(request, "web/dashboards/home.html",
                            {"choices": choices, "nav": "dashboards"})


def _dashboards_for(user) -> list[tuple[str, str, str]]:
    found = []
    if dashboards.live_ops_allowed(user=user):
        found.append((reverse("web:dashboard_operations"), _("Live operations"),
                      _("Open incidents by priority and group, SLA at risk in the next hour, "
                        "today's breaches, major incidents.")))
    if dashboards.groups_for_lead(user=user):
        found.append((reverse("web:dashboard_groups"), _("Support group"),
                      _("A group's queue health and its members' load.")))
    if dashboards.process_allowed(user=user):
        found.append((reverse("web:dashboard_process"), _("Process"),
                      _("KPIs against their targets, 12-month trends and breakdowns.")))
    return found


# -- live operations -------------------------------------------------------------------------------

@login_required
@reporting_view
def operations(request):
    """The incident manager's live picture; the figures refresh every 60 seconds (htmx)."""
    if not dashboards.live_ops_allowed(user=request.user):
        raise Http404
    live = dashboards.live_ops(user=request.user)
    links = Links(request.user)
    context = {"live": live, "nav": "dashboards", "figures": _live_figures(live, links),
               "charts": _live_charts(live, links), "at_risk": _at_risk_rows(live)}
    return TemplateResponse(request, "web/dashboards/operations.html", context)


def _live_figures(live, links) -> list[dict]:
    risk = {"at_risk_minutes": dashboards.RISK_MINUTES}
    return [
        _figure(live.open_total, _("open incidents"), links.open({}), "neutral"),
        _figure(live.unassigned, _("unassigned"), links.unassigned({}), "warn"),
        _figure(live.risk_total, _("SLA at risk in the next hour"), links.open(risk), "warn"),
        _figure(live.breaches_total, _("SLA breaches today"),
                links.every({"breached_after": live.day_start.isoformat()}), "bad"),
        _figure(live.majors["declared"], _("major incidents running"),
                reverse("web:major_list") + "?state=declared", "bad"),
        _figure(live.majors["candidate"], _("major incident candidates"),
                reverse("web:major_list") + "?state=candidate", "warn"),
    ]


def _live_charts(live, links) -> dict:
    priorities = live.priorities
    labels = [_priority_label(p) for p in priorities]
    by_priority = live.open_by_priority()
    open_chart = charts.bar_chart(
        title=_("Open incidents by priority"), labels=labels, x_title=_("Priority"),
        y_title=_("Open incidents"),
        series=[{"name": _("Open incidents"), "values": [by_priority.get(p.level, 0)
                                                          for p in priorities],
                 "links": [links.open({"priority": p.level}) for p in priorities],
                 "colors": [charts.priority_colour(p.level) for p in priorities]}])
    return {"by_priority": open_chart, "by_group": _open_by_group_chart(live, links),
            "risk": _clock_chart(live, links, "risk"),
            "breaches": _clock_chart(live, links, "breach")}


def _open_by_group_chart(live, links) -> dict:
    groups = live.groups()
    series = []
    for p in live.priorities:
        series.append({
            "name": _priority_label(p), "color": charts.priority_colour(p.level),
            "values": [live.open_cells.get((g.pk if g else None, p.level), 0) for g in groups],
            "links": [links.open({"group": g.code, "priority": p.level}) if g
                      else links.unassigned({"priority": p.level}) for g in groups]})
    return charts.bar_chart(
        title=_("Open incidents by group and priority"), horizontal=True, stacked=True,
        labels=[g.name if g else _("No group") for g in groups], series=series,
        x_title=_("Group"), y_title=_("Open incidents"))


def _clock_chart(live, links, kind: str) -> dict:
    figures = live.risk_by_priority if kind == "risk" else live.breaches_by_priority
    priorities = live.priorities
    series = []
    for clock, name in CLOCK_NAMES.items():
        series.append({
            "name": name, "color": CLOCK_COLOURS[kind][clock],
            "values": [figures.get(p.level, {}).get(clock, 0) for p in priorities],
            "links": [_clock_link(live, links, kind, clock, p.level) for p in priorities]})
    title = (_("SLA at risk in the next hour, by priority") if kind == "risk"
             else _("SLA breaches today, by priority"))
    return charts.bar_chart(title=title, labels=[_priority_label(p) for p in priorities],
                            series=series, x_title=_("Priority"), y_title=_("Incidents"))


def _clock_link(live, links, kind, clock, level) -> str:
    if kind == "risk":
        return links.open({"priority": level, "at_risk_minutes": dashboards.RISK_MINUTES,
                           "sla_clock": clock})
    return links.every({"priority": level, "breached_after": live.day_start.isoformat(),
                        "sla_clock": clock})


def _at_risk_rows(live) -> list[dict]:
    return [{"number": r.number, "short_description": r.short_description,
             "priority": lookups.lookup(Priority, r.priority),
             "group": lookups.lookup(SupportGroup, r.group_id) if r.group_id else None,
             "clock": CLOCK_NAMES[r.clock], "due_at": r.due_at,
             "minutes": max(0, int((r.due_at - live.now).total_seconds() // 60))}
            for r in live.at_risk]


# -- a support group -------------------------------------------------------------------------------

@login_required
@reporting_view
def group(request, code: str = ""):
    """One group's queue health and members' load; the first allowed group without a code."""
    allowed = dashboards.groups_for_lead(user=request.user)
    if not allowed:
        raise Http404
    if not code:
        chosen = request.GET.get("group", "")
        target = next((g for g in allowed if g.code == chosen), allowed[0])
        return redirect("web:dashboard_group", code=target.code)
    current = next((g for g in allowed if g.code == code), None)
    if current is None:
        raise Http404
    queue = dashboards.group_queue(user=request.user, group=current)
    links = Links(request.user, group=current)
    context = {"queue": queue, "groups": allowed, "dash_group": current, "nav": "dashboards",
               "figures": _group_figures(queue, links),
               "charts": {"status_age": _status_age_chart(queue, links),
                          "members": _members_chart(queue, links)}}
    return TemplateResponse(request, "web/dashboards/group.html", context)


def _group_figures(queue, links) -> list[dict]:
    week = queue.week_start.isoformat()
    return [
        _figure(queue.open_total, _("open in the group"), links.open({}), "neutral"),
        _figure(queue.no_assignee, _("not taken by anyone"),
                links.open({"has_assignee": "no"}), "warn"),
        _figure(queue.at_risk, _("SLA at risk in the next hour"),
                links.open({"at_risk_minutes": dashboards.RISK_MINUTES}), "warn"),
        _figure(queue.breached_week, _("SLA breaches this week"),
                links.every({"breached_after": week}), "bad"),
        _figure(queue.resolved_week, _("resolved this week"),
                links.every({"resolved_after": week}), "ok"),
    ]


def _status_age_chart(queue, links) -> dict:
    statuses = queue.statuses()
    series = []
    for i, (low, high) in enumerate(dashboards.AGE_BUCKETS):
        age = {"age_min_hours": low} | ({"age_max_hours": high} if high else {})
        series.append({
            "name": AGE_LABELS[i], "color": charts.AGE_COLOURS[i],
            "values": [queue.status_age.get((s.value, i), 0) for s in statuses],
            "links": [links.open({"status": s.key, **age}) for s in statuses]})
    return charts.bar_chart(
        title=_("Open incidents by status and age"), labels=[s.label for s in statuses],
        series=series, stacked=True, x_title=_("Status"), y_title=_("Open incidents"))


def _members_chart(queue, links) -> dict:
    week = queue.week_start.isoformat()
    members = queue.members
    return charts.bar_chart(
        title=_("Members' load"), horizontal=True, x_title=_("Member"),
        y_title=_("Incidents"), labels=[m.user.label for m in members],
        series=[
            {"name": _("Open, assigned to them"), "color": charts.TONE_COLOURS["brand"],
             "values": [m.open for m in members],
             "links": [links.open({"assignee": m.user.username}) for m in members]},
            {"name": _("Resolved this week"), "color": charts.TONE_COLOURS["ok"],
             "values": [m.resolved_week for m in members],
             "links": [links.every({"assignee": m.user.username, "resolved_after": week})
                       for m in members]},
        ])


# -- shared pieces ---------------------------------------------------------------------------------

class Links:
    """Workspace list URLs for a reader: the queue they have, narrowed by list parameters."""

    def __init__(self, user, group: SupportGroup | None = None):
        self.sees_all = user.sees_all_incidents
        self.group = {"group": group.code} if group else {}

    def open(self, params: dict) -> str:
        """Open incidents matching params."""
        slug = "open" if self.sees_all else "group"
        extra = {} if self.sees_all else {"status": "open"}
        return self._url(slug, {**self.group, **extra, **params})

    def unassigned(self, params: dict) -> str:
        return self._url("unassigned", params)

    def every(self, params: dict) -> str:
        """Incidents in any status (resolved and closed ones too) matching params."""
        return self._url("all" if self.sees_all else "group-all", {**self.group, **params})

    @staticmethod
    def _url(slug: str, params: dict) -> str:
        query = urlencode(params)
        return reverse("web:queue", args=[slug]) + (f"?{query}" if query else "")


def _figure(value, label, url, tone) -> dict:
    return {"value": value, "label": label, "url": url, "tone": tone if value else "zero"}


def _priority_label(priority) -> str:
    return charts.priority_label(priority.level, priority.name)


