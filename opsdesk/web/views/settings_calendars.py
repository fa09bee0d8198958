"""Settings: business calendars, their weekly hours, holidays and make-up days, and file imports
(process owners and administrators). Every change goes through opsdesk.sla.services."""

import calendar as monthcal
from datetime import date

from django.contrib import messages
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.dates import MONTHS, WEEKDAYS_ABBR
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from opsdesk.core.exceptions import InvalidInput
from opsdesk.sla import services
from opsdesk.sla.clock import format_hours
from opsdesk.sla.models import BusinessCalendar, DayKind
from opsdesk.sla.selectors import calendar_days

from ..calendar_forms import (
    CalendarCreateForm,
    CalendarDayForm,
    CalendarDetailsForm,
    CalendarImportForm,
    WeekHoursForm,
)
from .incidents import _add_errors
from .settings_pages import configurator_required, render

MIN_YEAR, MAX_YEAR = 2000, 2100


@configurator_required
def calendars(request):
    """Every calendar with its zone, its week in short and its dated days this year and next."""
    this_year = timezone.localdate().year
    counts = {f"{kind}_{n}": Count("days", distinct=True, filter=Q(
        days__kind=kind, days__date__year=this_year + n))
        for kind in DayKind.values for n in (0, 1)}
    rows = (BusinessCalendar.objects.annotate(**counts).prefetch_related("working_periods")
            .order_by("-is_active", "sort_order", "code"))
    for row in rows:
        row.week_summary = week_summary(_week(row))
    return render(request, "web/settings/calendars.html", {
        "calendars": rows, "this_year": this_year, "next_year": this_year + 1})


@configurator_required
def calendar_new(request):
    """Create a calendar with its names, zone and the hours of each weekday."""
    form = CalendarCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            created = services.calendar_create(
                code=data["code"], name_zh=data["name_zh"], name_en=data["name_en"],
                time_zone=data["time_zone"], is_24x7=data["is_24x7"], hours=form.hours())
        except InvalidInput as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("The calendar %(code)s is created.") % {
                "code": created.code})
            return redirect("web:settings-calendar", code=created.code)
    return render(request, "web/settings/calendar_new.html", {"form": form},
                  status=422 if form.is_bound else 200)


@configurator_required
def calendar_detail(request, code: str):
    """One calendar: its details (saved here), weekly hours, the dated days of a year, import."""
    calendar = get_object_or_404(BusinessCalendar, code=code)
    year = _year(request)
    if request.method != "POST":
        return _calendar_page(request, calendar, year)
    form = CalendarDetailsForm(request.POST, calendar=calendar)
    if form.is_valid():
        try:
            services.calendar_update(calendar=calendar, **form.cleaned_data)
        except InvalidInput as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("The calendar %(code)s is saved.") % {"code": code})
            return _back(calendar, year)
    return _calendar_page(request, calendar, year, status=422, details_form=form)


@configurator_required
@require_POST
def calendar_hours(request, code: str):
    """Save the seven weekdays' hours at once; one wrong day saves none."""
    calendar = get_object_or_404(BusinessCalendar, code=code)
    form = WeekHoursForm(request.POST)
    if form.is_valid():
        try:
            services.calendar_week_set(calendar=calendar, hours=form.hours())
        except InvalidInput as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("The working hours are saved."))
            return _back(calendar, _year(request), "hours")
    return _calendar_page(request, calendar, _year(request), status=422, hours_form=form)


@configurator_required
@require_POST
def calendar_day_add(request, code: str):
    """Make a date a holiday or a make-up working day (a date already listed is replaced)."""
    calendar = get_object_or_404(BusinessCalendar, code=code)
    form = CalendarDayForm(request.POST)
    if form.is_valid() and _day_saved(request, calendar, form, form.cleaned_data["date"]):
        return _back(calendar, form.cleaned_data["date"].year, "days")
    return _calendar_page(request, calendar, _year(request), status=422, day_form=form)


@configurator_required
def calendar_day_edit(request, code: str, day: str):
    """Change a dated day's kind, names or hours (its date stays; add another date instead)."""
    calendar = get_object_or_404(BusinessCalendar, code=code)
    row = get_object_or_404(calendar.days, date=_date_or_404(day))
    form = CalendarDayForm(request.POST or None, day=row)
    if request.method == "POST" and form.is_valid() and _day_saved(request, calendar, form,
                                                                   row.date):
        return _back(calendar, row.date.year, "days")
    return render(request, "web/settings/calendar_day.html",
                  {"calendar": calendar, "day": row, "form": form},
                  status=422 if form.is_bound else 200)


@configurator_required
@require_POST
def calendar_day_remove(request, code: str, day: str):
    """Make a dated day an ordinary day of its weekday again."""
    calendar = get_object_or_404(BusinessCalendar, code=code)
    when = _date_or_404(day)
    if services.calendar_day_delete(calendar=calendar, day=when):
        messages.success(request, _("%(date)s is an ordinary day again.") % {
            "date": when.isoformat()})
    return _back(calendar, when.year, "days")


@configurator_required
@require_POST
def calendar_import(request, code: str):
    """Import a .ics or .csv file: every line right and all of it saved, or nothing."""
    calendar = get_object_or_404(BusinessCalendar, code=code)
    form = CalendarImportForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            result = services.calendar_import(calendar=calendar, file=form.cleaned_data["file"],
                                              format=form.file_format())
        except InvalidInput as error:
            _add_import_errors(form, error)
        else:
            messages.success(request, _(
                "Imported: %(created)d days added, %(updated)d replaced, %(skipped)d events "
                "with a time of day skipped.") % vars(result))
            return _back(calendar, _year(request), "days")
    return _calendar_page(request, calendar, _year(request), status=422, import_form=form)


# --- Helpers -------------------------------------------------------------------------------


def _calendar_page(request, calendar, year: int, *, status: int = 200, **forms):
    """The calendar page; a form passed in (bound, with its errors) replaces the fresh one."""
    week = _week(calendar, calendar.working_periods.all())
    days = calendar_days(calendar=calendar, year=year)
    context = {
        "calendar": calendar, "year": year, "days": days,
        "prev_year": max(year - 1, MIN_YEAR), "next_year": min(year + 1, MAX_YEAR),
        "months": month_grid(year, days, working=[bool(hours) for hours in week]),
        "weekday_abbr": [_grid_weekday(n) for n in range(7)],
        "details_form": CalendarDetailsForm(calendar=calendar),
        "hours_form": WeekHoursForm(week=week),
        "day_form": CalendarDayForm(initial={"date": _default_date(year)}),
        "import_form": CalendarImportForm(),
        **forms,
    }
    return render(request, "web/settings/calendar.html", context, status=status)


def _day_saved(request, calendar, form, when: date) -> bool:
    data = form.cleaned_data
    try:
        services.calendar_day_set(calendar=calendar, day=when, kind=data["kind"],
                                  name_zh=data["name_zh"], name_en=data["name_en"],
                                  works_like=data["works_like"])
    except InvalidInput as error:
        _add_errors(form, error)
        return False
    messages.success(request, _("%(date)s is saved.") % {"date": when.isoformat()})
    return True


def _add_import_errors(form, error: InvalidInput) -> None:
    """The summary, then each wrong line or event, all next to the upload field."""
    if error.message is not InvalidInput.default_message or not error.errors:
        form.add_error("file", str(error.message))
    labels = {"line": _("Line %(n)s: %(message)s"), "event": _("Event %(n)s: %(message)s")}
    for where, message in error.errors.items():
        kind, _space, number = where.partition(" ")
        label = labels.get(kind)
        form.add_error("file", label % {"n": number, "message": message} if label else message)


def _week(calendar, periods=None) -> tuple[str, ...]:
    """The calendar's hours per weekday as text, Monday first."""
    weekly: list[list] = [[] for _day in range(7)]
    for period in periods if periods is not None else calendar.working_periods.all():
        weekly[period.weekday].append(period.seconds)
    return tuple(format_hours(sorted(hours)) for hours in weekly)


def week_summary(week: tuple[str, ...]) -> list[tuple[str, str]]:
    """Runs of weekdays with the same hours: [('Mon–Fri', '09:00-12:00, 13:00-18:00')]."""
    runs: list[list] = []
    for weekday, hours in enumerate(week):
        if runs and runs[-1][2] == hours:
            runs[-1][1] = weekday
        else:
            runs.append([weekday, weekday, hours])
    return [(WEEKDAYS_ABBR[first] if first == last else
             f"{WEEKDAYS_ABBR[first]}–{WEEKDAYS_ABBR[last]}", hours)
            for first, last, hours in runs if hours]


def month_grid(year: int, days, *, working: list[bool]) -> list[dict]:
    """Twelve months of weeks (Monday first); each cell a date with its kind, or None."""
    dated = {day.date: day for day in days}
    months = []
    for month in range(1, 13):
        weeks = [[_cell(d, dated, working) if d.month == month else None for d in week]
                 for week in monthcal.Calendar().monthdatescalendar(year, month)]
        months.append({"name": MONTHS[month], "weeks": weeks})
    return months


def _grid_weekday(weekday: int) -> str:
    """A month grid's column head: 一 … 日 in Chinese ('星期一' is too wide), Mo … Su otherwise."""
    abbr = str(WEEKDAYS_ABBR[weekday])
    return abbr[-1] if abbr.startswith("星期") else abbr[:2]


def _cell(day: date, dated: dict, working: list[bool]) -> dict:
    row = dated.get(day)
    kind = row.kind if row else ("" if working[day.weekday()] else "off")
    return {"date": day, "kind": kind, "name": row.name if row else ""}


def _default_date(year: int) -> date:
    today = timezone.localdate()
    return today if today.year == year else date(year, 1, 1)


def _year(request) -> int:
    text = request.GET.get("year") or request.POST.get("year") or ""
    year = int(text) if text.isdigit() else timezone.localdate().year
    return min(max(year, MIN_YEAR), MAX_YEAR)


def _date_or_404(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise Http404 from None


def _back(calendar, year: int, anchor: str = ""):
    url = reverse("web:settings-calendar", kwargs={"code": calendar.code})
    return redirect(f"{url}?year={year}" + (f"#{anchor}" if anchor else ""))

