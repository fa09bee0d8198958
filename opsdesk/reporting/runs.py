"""Sending scheduled reports: when each is due, the file for its period, the mail, the history.

The periodic tick (core/periodic.py, every 30 s) sends each active schedule once per occurrence:
the latest moment `hour` o'clock (site time zone) on its day that has passed and is not older
than the schedule's timing. The occurrence's `period_key` is unique per schedule in ReportRun,
so two ticks that race both build the file but only one records the run and mails it (the other
meets the unique index and drops its copy). The run and its deliveries commit together; the
mails go out after the commit through opsdesk.notifications, with the file attached.

A report that cannot be made (the owner may no longer see it, the filters no longer resolve,
the file is too large) is recorded as a failed run with the reason, and not tried again for
that period; "send now" sends it by hand.
"""

import logging
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import IntegrityError, transaction
from django.http import QueryDict
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from opsdesk.core.dbrouter import reporting_call
from opsdesk.core.exceptions import DomainError
from opsdesk.incidents.filters import filters_from_query, query_from_params
from opsdesk.measures.params import kpi_filters_from_params
from opsdesk.notifications.services import ATTACHMENTS_MAX_BYTES, delivery_enqueue

from . import document, monthly, tables
from .audit import export_recorded
from .incident_export import absolute_url, incident_export
from .kpi_export import kpi_about, kpi_table, period_text
from .models import Frequency, ReportFormat, ReportKind, ReportRun, ReportSchedule, RunStatus

logger = logging.getLogger(__name__)
LOOKBACK_DAYS = 31


@dataclass
class ReportFile:
    """A report made for one period: the file, and what the mail says about it."""

    filename: str
    content: bytes
    content_type: str
    title: str
    period_start: date | None = None
    period_end: date | None = None  # included
    rows: int | None = None
    summary: str = ""


# ---- when ------------------------------------------------------------------------------------

def occurrence_latest(schedule: ReportSchedule, now: datetime) -> datetime | None:
    """The latest moment the schedule was due at or before `now` (site time zone)."""
    zone = timezone.get_default_timezone()
    today = timezone.localtime(now, zone).date()
    for offset in range(LOOKBACK_DAYS + 1):
        day = today - timedelta(days=offset)
        if _runs_on(schedule, day):
            moment = datetime.combine(day, time(schedule.hour), tzinfo=zone)
            if moment <= now:
                return moment
    return None


def _runs_on(schedule: ReportSchedule, day: date) -> bool:
    if schedule.frequency == Frequency.DAILY:
        return True
    if schedule.frequency == Frequency.WEEKLY:
        return day.weekday() == schedule.weekday
    return day.day == schedule.day_of_month


def period_key(schedule: ReportSchedule, occurrence: datetime) -> str:
    """M:2026-04, W:2026-W15 or D:2026-04-07: one run per month, week or day."""
    day = timezone.localtime(occurrence, timezone.get_default_timezone()).date()
    if schedule.frequency == Frequency.MONTHLY:
        return f"M:{day:%Y-%m}"
    if schedule.frequency == Frequency.WEEKLY:
        year, week, _weekday = day.isocalendar()
        return f"W:{year}-W{week:02d}"
    return f"D:{day.isoformat()}"


def report_period(schedule: ReportSchedule, day: date) -> tuple[date, date]:
    """The period a report sent on `day` covers (both days included): the month before for a
    monthly schedule, the seven days before for a weekly one, the day before for a daily one."""
    if schedule.frequency == Frequency.MONTHLY:
        last = day.replace(day=1) - timedelta(days=1)
        return last.replace(day=1), last
    length = 7 if schedule.frequency == Frequency.WEEKLY else 1
    return day - timedelta(days=length), day - timedelta(days=1)


def schedules_due(*, now: datetime) -> list[tuple[ReportSchedule, datetime, str]]:
    """(schedule, occurrence, period key) of every active schedule not yet run for it."""
    candidates = []
    for schedule in ReportSchedule.objects.filter(is_active=True).select_related("owner"):
        moment = occurrence_latest(schedule, now)
        if moment is not None and moment >= schedule.timing_changed_at:
            candidates.append((schedule, moment, period_key(schedule, moment)))
    if not candidates:
        return []
    done = set(ReportRun.objects.filter(
        schedule_id__in=[s.pk for s, _m, _k in candidates],
        period_key__in=[k for _s, _m, k in candidates]).values_list("schedule_id", "period_key"))
    return [(s, m, k) for s, m, k in candidates if (s.pk, k) not in done]


def report_schedules_tick(*, now: datetime | None = None) -> dict:
    """Send every schedule that is due; returns how many were sent, failed or lost a race."""
    now = now or timezone.now()
    counts = {"sent": 0, "failed": 0, "skipped": 0}
    for schedule, moment, key in schedules_due(now=now):
        run = schedule_send(schedule=schedule, occurrence=moment, key=key)
        counts["skipped" if run is None else run.status] += 1
    return counts


def schedule_send_now(*, schedule: ReportSchedule, by) -> ReportRun:
    """Send the report at once (its period as if it were due today), recorded as by hand."""
    from .schedules import may_keep_schedules

    if not may_keep_schedules(user=by):
        from opsdesk.core.exceptions import NotPermitted

        raise NotPermitted(_("Only process owners and administrators keep scheduled reports."))
    key = f"manual:{timezone.now():%Y%m%dT%H%M%S}:{uuid.uuid4().hex[:8]}"
    return schedule_send(schedule=schedule, occurrence=timezone.now(), key=key, by=by)


# ---- what and to whom ------------------------------------------------------------------------

def schedule_send(*, schedule: ReportSchedule, occurrence: datetime, key: str,
                  by=None) -> ReportRun | None:
    """Make the report and mail it, recording the run under `key`; None when another worker
    already recorded this period."""
    with translation.override(schedule.language):
        try:
            # The file is read from the reporting replica, if any; the run is recorded on
            # default (a replica that is down is read past: core/dbrouter.py).
            made = reporting_call(report_make, schedule=schedule, day=timezone.localtime(
                occurrence, timezone.get_default_timezone()).date())
            addresses = recipient_addresses(schedule)
            if not addresses:
                raise _Refused(_("None of the recipients has an email address any more."))
            if len(made.content) > ATTACHMENTS_MAX_BYTES:
                raise _Refused(_("The file is larger than %(mb)d MB; narrow the filters.") % {
                    "mb": ATTACHMENTS_MAX_BYTES // (1024 * 1024)})
        except (DomainError, _Refused) as error:
            return _run_failed(schedule, key, by, error_text(error))
        except Exception as error:  # a bug must not stop the other schedules
            logger.exception("scheduled report %s could not be made", schedule.pk)
            return _run_failed(schedule, key, by, f"{type(error).__name__}: {error}")
        return _run_sent(schedule, key, by, made, addresses)


class _Refused(Exception):
    pass


def error_text(error: Exception) -> str:
    """A domain error as one sentence: its message and each field's complaint."""
    if not isinstance(error, DomainError):
        return str(error)
    details = [f"{name}: {message}" if name else str(message)
               for name, message in error.errors.items()]
    return " ".join([str(error.message), *details]) if details else str(error.message)


def recipient_addresses(schedule: ReportSchedule) -> list[str]:
    """The active recipients' addresses and the other addresses, each once."""
    users = [u.email for u in schedule.recipients.all() if u.is_active and u.email]
    return list(dict.fromkeys(a.lower() for a in [*users, *schedule.addresses.split()]))


def _run_sent(schedule, key, by, made: ReportFile, addresses: list[str]) -> ReportRun | None:
    with transaction.atomic():
        try:
            with transaction.atomic():
                run = ReportRun.objects.create(
                    schedule=schedule, period_key=key, status=RunStatus.SENT, triggered_by=by,
                    period_start=made.period_start, period_end=made.period_end,
                    filename=made.filename, size=len(made.content), rows=made.rows,
                    recipients=", ".join(addresses))
        except IntegrityError:
            return None  # another tick sent this period
        subject, text = _mail(schedule, made)
        for address in addresses:
            delivery_enqueue(key=f"report-run:{run.pk}:{address}"[:255], channel="email",
                             recipient=address, subject=subject, text=text,
                             language=schedule.language,
                             attachments=[(made.filename, made.content, made.content_type)])
    export_recorded(user=by or schedule.owner, what=f"schedule:{schedule.pk}:{schedule.kind}",
                    fmt=schedule.format, params=schedule.params, rows=made.rows,
                    to=addresses)
    return run


def _run_failed(schedule, key, by, reason: str) -> ReportRun | None:
    logger.warning("scheduled report %s (%s) failed: %s", schedule.pk, key, reason)
    try:
        with transaction.atomic():
            return ReportRun.objects.create(schedule=schedule, period_key=key, triggered_by=by,
                                            status=RunStatus.FAILED, error=reason[:2000])
    except IntegrityError:
        return None


def _mail(schedule: ReportSchedule, made: ReportFile) -> tuple[str, str]:
    subject = f"{schedule.name} · {made.title}"
    lines = [made.title]
    if made.period_start:
        lines.append(_("Period: %(period)s") % {"period": period_text(made.period_start,
                                                                      made.period_end)})
    lines.append(_("Attached: %(file)s") % {"file": made.filename})
    if made.summary:
        lines += ["", made.summary]
    lines += ["", _("Sent by opsdesk for %(owner)s. To change or stop this report: %(url)s") % {
        "owner": schedule.owner.label,
        "url": absolute_url(f"/reports/schedules/{schedule.pk}/")}]
    return subject, "\n".join(lines)


# ---- the file --------------------------------------------------------------------------------

def report_make(*, schedule: ReportSchedule, day: date) -> ReportFile:
    """The schedule's report for the occurrence on `day`, as its owner may see it."""
    if schedule.kind == ReportKind.MONTHLY:
        return _monthly_file(schedule, day)
    if schedule.kind == ReportKind.KPIS:
        return _kpi_file(schedule, day)
    return _list_file(schedule)


def _monthly_file(schedule, day) -> ReportFile:
    first, _last = report_period(schedule, day)
    report = monthly.monthly_report(user=schedule.owner, month=first)
    if schedule.format == ReportFormat.PDF:
        content = document.monthly_pdf(report, by=schedule.owner)
        content_type = document.PDF_CONTENT_TYPE
    else:
        content = document.monthly_html(report, by=schedule.owner).encode("utf-8")
        content_type = "text/html; charset=utf-8"
    return ReportFile(filename=document.monthly_filename(report, schedule.format),
                      content=content, content_type=content_type,
                      title=document.monthly_title(report), period_start=report.month,
                      period_end=report.last_day, summary=monthly_summary(report))


def monthly_summary(report: monthly.MonthlyReport) -> str:
    """The headline figures for the mail's body."""
    met, judged = report.met_count
    lines = [_("%(met)d of %(judged)d KPIs with a target met it.") % {"met": met,
                                                                      "judged": judged}]
    for code in ("volume", "resolution_on_time", "response_on_time", "satisfaction_rate"):
        line = report.lines.get(code)
        if line is not None:
            target = "" if line.value.target is None else " (" + _("target %(target)s") % {
                "target": line.target_display} + ")"
            lines.append(f"- {line.definition.name}: {line.display}{target}")
    lines.append(f"- {_('Major incidents')}: {len(report.majors)}")
    return "\n".join(lines)


def _kpi_file(schedule, day) -> ReportFile:
    first, last = report_period(schedule, day)
    params = dict(QueryDict(schedule.params).items())
    params.update(start=first.isoformat(), end=last.isoformat())
    filters = kpi_filters_from_params(params=params, user=schedule.owner)
    table = kpi_table(filters=filters)
    title = _("KPIs, %(period)s") % {"period": period_text(first, last)}
    if schedule.format == ReportFormat.XLSX:
        content = tables.xlsx_bytes([table], kpi_about(filters=filters, user=schedule.owner,
                                                       title=title))
    else:
        content = tables.csv_bytes([table])
    return ReportFile(filename=f"opsdesk-kpis-{first:%Y%m%d}-{last:%Y%m%d}.{schedule.format}",
                      content=content, content_type=tables.CONTENT_TYPES[schedule.format],
                      title=title, period_start=first, period_end=last,
                      rows=len(table.rows))


def _list_file(schedule) -> ReportFile:
    params = QueryDict(schedule.params)
    filters = filters_from_query(query=query_from_params(params), user=schedule.owner)
    export = incident_export(user=schedule.owner, filters=filters,
                             sort=params.get("sort") or "-registered_at", title=schedule.name)
    stamp = timezone.localtime(timezone.now(), timezone.get_default_timezone())
    if schedule.format == ReportFormat.XLSX:
        content = tables.xlsx_bytes([export.table])
    else:
        content = tables.csv_bytes([export.table])
    return ReportFile(filename=f"opsdesk-incidents-{stamp:%Y%m%d-%H%M}.{schedule.format}",
                      content=content, content_type=tables.CONTENT_TYPES[schedule.format],
                      title=_("Incidents as of %(at)s") % {"at": f"{stamp:%Y-%m-%d %H:%M}"},
                      rows=export.total - export.omitted)
