"""Keeping scheduled reports: who may, what a valid schedule is, creating, changing, deleting.

Process owners (and administrators) keep the schedules, all of them: a report is a duty of
the process, not of one person. A schedule's report shows what its owner (the person who
created it) may see, checked again at every run.
"""

from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Max
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _

from opsdesk.accounts.models import User
from opsdesk.core.exceptions import InvalidInput, NotFound, NotPermitted
from opsdesk.incidents.filters import PARAM_NAMES, filters_from_query, query_from_params
from opsdesk.incidents.selectors import SORTS
from opsdesk.measures.params import kpi_filters_from_params

from .models import Frequency, ReportFormat, ReportKind, ReportRun, ReportSchedule

FORMATS = {ReportKind.MONTHLY: (ReportFormat.PDF, ReportFormat.HTML),
           ReportKind.KPIS: (ReportFormat.XLSX, ReportFormat.CSV),
           ReportKind.INCIDENTS: (ReportFormat.XLSX, ReportFormat.CSV)}
KPI_PARAMS = ("group", "category", "service", "priority", "channel")
MAX_RECIPIENTS = 50
TIMING = ("frequency", "day_of_month", "weekday", "hour")
FIELDS = ("name", "kind", "frequency", "day_of_month", "weekday", "hour", "language", "format",
          "params", "is_active")


def may_keep_schedules(*, user) -> bool:
    """Process owners keep the scheduled reports (SPEC §1), and administrators."""
    return bool(user is not None and user.is_authenticated and user.is_active and (
        user.is_process_owner or user.is_administrator or user.is_superuser))


def _require(user) -> None:
    if not may_keep_schedules(user=user):
        raise NotPermitted(_("Only process owners and administrators keep scheduled reports."))


def schedule_list(*, user) -> list[ReportSchedule]:
    """Every schedule with its owner, recipients and last run's time (two queries), by name."""
    _require(user)
    return list(ReportSchedule.objects.select_related("owner").prefetch_related("recipients")
                .annotate(last_run_at=Max("runs__created_at")).order_by("name", "id"))


def schedule_get(*, user, pk: int) -> ReportSchedule:
    """One schedule; NotFound for a missing one or someone who may not keep schedules."""
    if not may_keep_schedules(user=user):
        raise NotFound(_("This scheduled report was not found."))
    found = (ReportSchedule.objects.select_related("owner").prefetch_related("recipients")
             .filter(pk=pk).first())
    if found is None:
        raise NotFound(_("This scheduled report was not found."))
    return found


def schedule_runs(*, schedule: ReportSchedule, limit: int = 50) -> list[ReportRun]:
    """What was sent for the schedule, newest first (one query)."""
    return list(schedule.runs.select_related("triggered_by")[:limit])


def schedule_create(*, by, data: dict) -> ReportSchedule:
    """A new schedule owned by `by`; InvalidInput names every bad field, nothing is saved."""
    _require(by)
    values, users, addresses = _clean(data, owner=by)
    with transaction.atomic():
        schedule = ReportSchedule.objects.create(owner=by, addresses="\n".join(addresses),
                                                 **values)
        schedule.recipients.set(users)
    return schedule


def schedule_update(*, schedule: ReportSchedule, by, data: dict) -> ReportSchedule:
    """Change a schedule (the fields given; the rest kept). A new timing starts from now, so a
    change never sends a period that is already past."""
    _require(by)
    current = {name: getattr(schedule, name) for name in FIELDS}
    current["recipients"] = ([u.username for u in schedule.recipients.all()]
                             + schedule.addresses.split())
    values, users, addresses = _clean({**current, **data}, owner=schedule.owner)
    timing_changed = any(values[name] != getattr(schedule, name) for name in TIMING) or (
        values["is_active"] and not schedule.is_active)
    with transaction.atomic():
        for name, value in values.items():
            setattr(schedule, name, value)
        schedule.addresses = "\n".join(addresses)
        if timing_changed:
            schedule.timing_changed_at = timezone.now()
        schedule.save()
        schedule.recipients.set(users)
    return schedule


def schedule_delete(*, schedule: ReportSchedule, by) -> None:
    """Delete a schedule and its history (stopping it is `is_active=False`)."""
    _require(by)
    schedule.delete()


def _clean(data: dict, *, owner) -> tuple[dict, list, list[str]]:
    """The model's values, the recipient users and the other addresses; InvalidInput."""
    errors: dict[str, str] = {}
    values = {"name": " ".join(str(data.get("name") or "").split()),
              "kind": data.get("kind") or "", "frequency": data.get("frequency") or "",
              "language": (data.get("language") or settings.LANGUAGE_CODE).lower(),
              "format": data.get("format") or "", "is_active": bool(data.get("is_active", True))}
    if not values["name"]:
        errors["name"] = _("Give the report a name.")
    elif len(values["name"]) > ReportSchedule._meta.get_field("name").max_length:
        errors["name"] = _("Use at most 120 characters for the name.")
    _choices(values, errors)
    for name, low, high in (("day_of_month", 1, 28), ("weekday", 0, 6), ("hour", 0, 23)):
        values[name] = _bounded(data.get(name), name, low, high, errors)
    values["params"] = _params(values["kind"], data.get("params") or "", owner, errors)
    users, addresses = _recipients(data.get("recipients") or [], errors)
    if errors:
        raise InvalidInput(errors=errors)
    return values, users, addresses


def _choices(values: dict, errors: dict) -> None:
    if values["kind"] not in ReportKind.values:
        errors["kind"] = _("Choose the report: %(choices)s.") % {
            "choices": ", ".join(ReportKind.values)}
        return
    if values["frequency"] not in Frequency.values:
        errors["frequency"] = _("Choose monthly, weekly or daily.")
    elif values["kind"] == ReportKind.MONTHLY and values["frequency"] != Frequency.MONTHLY:
        errors["frequency"] = _("The monthly service report is sent monthly.")
    allowed = FORMATS[values["kind"]]
    if values["format"] not in allowed:
        errors["format"] = _("This report comes as %(choices)s.") % {
            "choices": ", ".join(str(f.label) for f in allowed)}
    if values["language"] not in {code for code, _name in settings.LANGUAGES}:
        errors["language"] = _("Choose Chinese (zh-hans) or English (en).")


def _bounded(raw, name: str, low: int, high: int, errors: dict) -> int:
    default = {"day_of_month": 1, "weekday": 0, "hour": 8}[name]
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except (TypeError, ValueError):
        value = None
    if value is None or not low <= value <= high:
        errors[name] = _("Give a whole number from %(low)d to %(high)d.") % {"low": low,
                                                                             "high": high}
        return default
    return value


def _params(kind: str, raw: str, owner, errors: dict) -> str:
    """The filters in a fixed order, checked as the owner would use them."""
    given = QueryDict(raw.lstrip("?"))
    try:
        if kind == ReportKind.KPIS:
            pairs = [(n, v.strip()) for n in KPI_PARAMS for v in given.getlist(n)[:1] if v.strip()]
            kpi_filters_from_params(params=dict(pairs), user=owner)
        elif kind == ReportKind.INCIDENTS:
            pairs = [(n, v.strip()) for n in (*PARAM_NAMES, "sort") for v in given.getlist(n)
                     if v.strip()]
            checked = QueryDict(mutable=True)
            for name, value in pairs:
                checked.appendlist(name, value)
            filters_from_query(query=query_from_params(checked), user=owner)
            if checked.get("sort") and checked["sort"] not in SORTS:
                raise InvalidInput(errors={"sort": _("Sort by one of: %(choices)s.") % {
                    "choices": ", ".join(SORTS)}})
        else:
            pairs = []
    except InvalidInput as error:
        errors["params"] = " ".join(f"{k}: {v}" for k, v in error.errors.items()) or str(
            error.message)
        return ""
    except (NotPermitted, NotFound) as error:
        errors["params"] = str(error.message)
        return ""
    text = urlencode(pairs)
    if len(text) > ReportSchedule._meta.get_field("params").max_length:
        errors["params"] = _("These filters are too long to keep; use fewer.")
    return text


def _recipients(raw, errors: dict) -> tuple[list, list[str]]:
    """Usernames become users (active, with an email address); the rest must be addresses."""
    if isinstance(raw, str):
        raw = raw.replace(",", "\n").replace(";", "\n").split()
    entries = list(dict.fromkeys(str(e).strip() for e in raw if str(e).strip()))
    names = [e for e in entries if "@" not in e]
    addresses = list(dict.fromkeys(e.lower() for e in entries if "@" in e))
    found = {u.username: u for u in User.objects.filter(username__in=names, is_active=True)}
    problems = []
    for name in names:
        user = found.get(name)
        if user is None:
            problems.append(_("no active user “%(name)s”") % {"name": name})
        elif not user.email:
            problems.append(_("%(name)s has no email address") % {"name": name})
    for address in addresses:
        try:
            validate_email(address)
        except ValidationError:
            problems.append(_("“%(address)s” is not an email address") % {"address": address})
    if problems:
        errors["recipients"] = _("Check the recipients: %(problems)s.") % {
            "problems": "; ".join(problems)}
    elif not entries:
        errors["recipients"] = _("Name at least one recipient.")
    elif len(entries) > MAX_RECIPIENTS:
        errors["recipients"] = _("Send to at most %(max)d recipients.") % {"max": MAX_RECIPIENTS}
    return [found[n] for n in names if n in found], addresses


def schedule_recipient_lines(schedule: ReportSchedule) -> list[str]:
    """The recipients as the form shows them: usernames, then addresses."""
    return [u.username for u in schedule.recipients.all()] + schedule.addresses.split()
