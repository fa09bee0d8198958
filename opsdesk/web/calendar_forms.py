"""Forms of the business calendar settings pages. They collect input; opsdesk.sla.services decide
(hours are parsed, names and time zones checked there, and the errors come back per field)."""

from pathlib import Path

from django import forms
from django.utils.translation import gettext_lazy as _

from opsdesk.accounts.editing import time_zone_names
from opsdesk.sla.models import DayKind, Weekday

from .settings_forms import COMMON_TIME_ZONES

HOURS_HELP = _("For example 09:00-12:00, 13:00-18:00; empty for a day off; 24:00 is midnight.")


def calendar_time_zone_choices() -> list:
    """The common zones first, then every zoneinfo name (a calendar always names its zone)."""
    names = time_zone_names()
    common = [(name, name) for name in COMMON_TIME_ZONES if name in names]
    others = [(name, name) for name in sorted(names) if name not in COMMON_TIME_ZONES]
    return [(_("Common"), common), (_("All time zones"), others)]


def hours_field(weekday: int) -> forms.CharField:
    return forms.CharField(label=Weekday(weekday).label, required=False, max_length=200,
                           widget=forms.TextInput(attrs={"placeholder": "09:00-18:00",
                                                         "autocomplete": "off"}))


class CalendarDetailsForm(forms.Form):
    """A calendar's names, time zone and switches. Names are optional here so that a missing
    name is reported by the service together with the code and hours mistakes, all at once."""

    name_zh = forms.CharField(label=_("Name (Chinese)"), max_length=200, required=False)
    name_en = forms.CharField(label=_("Name (English)"), max_length=200, required=False)
    time_zone = forms.ChoiceField(label=_("Time zone"),
                                  help_text=_("Working hours are wall-clock times in this zone."))
    is_24x7 = forms.BooleanField(
        label=_("Round the clock (7×24)"), required=False,
        help_text=_("Every minute counts; working hours and dated days are ignored."))
    is_active = forms.BooleanField(
        label=_("Active"), required=False,
        help_text=_("An inactive calendar is not offered for new policies; running clocks go on."))

    def __init__(self, *args, calendar=None, **kwargs):
        if calendar is not None:
            kwargs.setdefault("initial", {f: getattr(calendar, f) for f in self.base_fields})
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = calendar_time_zone_choices()


class CalendarCreateForm(CalendarDetailsForm):
    """A new calendar: its code, names, time zone and the hours of each weekday."""

    code = forms.RegexField(
        label=_("Code"), max_length=16, regex=r"^[A-Za-z0-9_-]+$",
        error_messages={"invalid": _("Use letters, digits, - and _ only.")},
        help_text=_("A short stable key, e.g. 5x8-sh; it cannot change later."))
    field_order = ("code", "name_zh", "name_en", "time_zone", "is_24x7")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["is_active"]
        self.fields["time_zone"].initial = "Asia/Shanghai"
        for weekday in range(7):
            self.fields[f"hours_{weekday}"] = hours_field(weekday)
            self.fields[f"hours_{weekday}"].initial = (
                "09:00-12:00, 13:00-18:00" if weekday < 5 else "")

    def clean_code(self) -> str:
        code = self.cleaned_data["code"]
        if code.lower() == "new":  # /settings/calendars/new/ is the page that creates one
            raise forms.ValidationError(_("“new” cannot be a code; choose another."))
        return code

    def hours(self) -> tuple[str, ...]:
        return tuple(self.cleaned_data[f"hours_{weekday}"] for weekday in range(7))

    def hour_fields(self) -> list:
        return [self[f"hours_{weekday}"] for weekday in range(7)]


class WeekHoursForm(forms.Form):
    """The working hours of the seven weekdays, Monday first, each as text."""

    def __init__(self, *args, week: tuple[str, ...] = ("",) * 7, **kwargs):
        super().__init__(*args, **kwargs)
        for weekday in range(7):
            self.fields[f"hours_{weekday}"] = hours_field(weekday)
            self.fields[f"hours_{weekday}"].initial = week[weekday]

    def hours(self) -> tuple[str, ...]:
        return tuple(self.cleaned_data[f"hours_{weekday}"] for weekday in range(7))

    def hour_fields(self) -> list:
        return [self[f"hours_{weekday}"] for weekday in range(7)]


class CalendarDayForm(forms.Form):
    """A dated day: a holiday, or a make-up working day with the weekday whose hours it works."""

    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                           input_formats=["%Y-%m-%d"])
    kind = forms.ChoiceField(label=_("Kind"), choices=DayKind.choices, initial=DayKind.HOLIDAY)
    name_zh = forms.CharField(label=_("Name (Chinese)"), max_length=200)
    name_en = forms.CharField(label=_("Name (English)"), max_length=200)
    works_like = forms.TypedChoiceField(
        label=_("Works the hours of"), required=False, coerce=int, empty_value=None,
        choices=[("", _("A normal working day"))] + list(Weekday.choices),
        help_text=_("Only for a make-up working day."))

    def __init__(self, *args, day=None, **kwargs):
        if day is not None:
            kwargs.setdefault("initial", {"date": day.date, "kind": day.kind,
                                          "name_zh": day.name_zh, "name_en": day.name_en,
                                          "works_like": day.works_like})
        super().__init__(*args, **kwargs)
        if day is not None:
            self.fields["date"].disabled = True  # another date is another row: add it instead


class CalendarImportForm(forms.Form):
    """A .ics or .csv file of holidays and make-up working days."""

    file = forms.FileField(
        label=_("File (.ics or .csv)"),
        help_text=_("CSV lines: date,kind,name[,English name], e.g. 2026-10-01,holiday,国庆节,"
                    "National Day; kind is holiday or workday. All lines must be right, or "
                    "nothing is imported."),
        widget=forms.ClearableFileInput(attrs={"accept": ".ics,.csv,text/calendar,text/csv"}))

    def file_format(self) -> str:
        """'ics' or 'csv' from the file name; anything else the service refuses."""
        return Path(self.cleaned_data["file"].name).suffix.lstrip(".").lower()
