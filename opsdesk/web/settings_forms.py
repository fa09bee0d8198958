"""Forms of the overview, settings and profile pages. They collect input; services decide."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from opsdesk.accounts.editing import time_zone_names
from opsdesk.accounts.models import Location, SupportGroup, User
from opsdesk.cmdb.models import Service
from opsdesk.reference.editing import matrix_cell_key
from opsdesk.reference.models import Category, Priority

# Shown first in the time-zone list: where this system's users mostly are.
COMMON_TIME_ZONES = [
    "Asia/Shanghai", "Asia/Hong_Kong", "Asia/Taipei", "Asia/Singapore", "Asia/Tokyo",
    "Asia/Seoul", "Asia/Kolkata", "Asia/Dubai", "Europe/London", "Europe/Paris",
    "Europe/Berlin", "Europe/Moscow", "America/New_York", "America/Chicago",
    "America/Los_Angeles", "America/Sao_Paulo", "Australia/Sydney", "UTC",
]


class StaleHoursForm(forms.Form):
    """How many hours without an update make an open incident stale."""

    stale_hours = forms.IntegerField(label=_("Stale after (hours without an update)"),
                                     min_value=1, max_value=24 * 90, required=False)


class PriorityMatrixForm(forms.Form):
    """One select of priorities per impact × urgency cell."""

    def __init__(self, *args, impacts, urgencies, grid: dict, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(p.level, f"P{p.level} {p.name}") for p in Priority.objects.order_by("level")]
        self.impacts, self.urgencies = impacts, urgencies
        for impact in impacts:
            for urgency in urgencies:
                self.fields[matrix_cell_key(impact.level, urgency.level)] = forms.TypedChoiceField(
                    label=_("Priority for impact %(impact)s and urgency %(urgency)s") % {
                        "impact": impact.name, "urgency": urgency.name},
                    choices=choices, coerce=int,
                    initial=grid.get((impact.level, urgency.level)))

    def rows(self) -> list[tuple]:
        """(impact, [bound field per urgency]) in matrix order, for the template."""
        return [(impact, [self[matrix_cell_key(impact.level, u.level)] for u in self.urgencies])
                for impact in self.impacts]

    def cells(self) -> dict[tuple[int, int], int]:
        return {(i.level, u.level): self.cleaned_data[matrix_cell_key(i.level, u.level)]
                for i in self.impacts for u in self.urgencies}


class CategoryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.path} · {obj.name}"


class NamedChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.code} · {obj.name}"


class RoutingRuleForm(forms.Form):
    """A routing rule: its names, what it matches and where it sends incidents."""

    name_zh = forms.CharField(label=_("Name (Chinese)"), max_length=200, required=False)
    name_en = forms.CharField(label=_("Name (English)"), max_length=200, required=False)
    category = CategoryChoiceField(label=_("Category (and the categories below it)"),
                                   required=False, empty_label=_("Any category"),
                                   queryset=Category.objects.filter(is_active=True)
                                   .order_by("path"))
    service = NamedChoiceField(label=_("Service"), required=False, empty_label=_("Any service"),
                               queryset=Service.objects.filter(is_active=True))
    location = NamedChoiceField(label=_("Location"), required=False,
                                empty_label=_("Any location"),
                                queryset=Location.objects.filter(is_active=True))
    group = NamedChoiceField(label=_("Assign to group"), required=False,
                             queryset=SupportGroup.objects.filter(is_active=True))
    order = forms.IntegerField(label=_("Order"), min_value=0, max_value=32767, initial=100,
                               help_text=_("Between equally specific rules, the lower number "
                                           "wins."))
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    @classmethod
    def for_rule(cls, rule, data=None):
        initial = {f: getattr(rule, f) for f in cls.base_fields}
        return cls(data, initial=initial)


class SupportGroupForm(forms.Form):
    """A support group's names, line, escalation group, manager and members."""

    code = forms.CharField(label=_("Code"), max_length=32,
                           help_text=_("A short stable key, e.g. NET2; it cannot change later."))
    name_zh = forms.CharField(label=_("Name (Chinese)"), max_length=200, required=False)
    name_en = forms.CharField(label=_("Name (English)"), max_length=200, required=False)
    line = forms.TypedChoiceField(label=_("Line"), choices=SupportGroup.Line.choices, coerce=int,
                                  initial=SupportGroup.Line.SECOND)
    email = forms.EmailField(label=_("Email"), required=False)
    escalation_group = NamedChoiceField(label=_("Escalates to"), required=False,
                                        queryset=SupportGroup.objects.filter(is_active=True),
                                        help_text=_("The next-line group for functional "
                                                    "escalation."))
    manager = forms.ModelChoiceField(label=_("Group manager"), required=False,
                                     queryset=User.objects.filter(is_active=True)
                                     .order_by("username"))
    members = forms.ModelMultipleChoiceField(
        label=_("Members"), required=False, widget=forms.CheckboxSelectMultiple,
        queryset=User.objects.filter(is_active=True).order_by("username"))

    DATA_FIELDS = ("name_zh", "name_en", "line", "email", "escalation_group", "manager")

    def __init__(self, *args, group=None, **kwargs):
        if group is not None:
            kwargs.setdefault("initial", {
                **{f: getattr(group, f) for f in self.DATA_FIELDS}, "code": group.code,
                "members": list(group.members.all())})
        super().__init__(*args, **kwargs)
        self.fields["members"].label_from_instance = lambda u: f"{u.label} ({u.username})"
        self.fields["manager"].label_from_instance = lambda u: f"{u.label} ({u.username})"
        if group is not None:
            self.fields["code"].disabled = True
            self.fields["escalation_group"].queryset = (
                SupportGroup.objects.filter(is_active=True).exclude(pk=group.pk))

    def data_values(self) -> dict:
        return {f: self.cleaned_data[f] for f in self.DATA_FIELDS}


class CategoryCreateForm(forms.Form):
    """A new category under a parent (or a new root)."""

    parent = CategoryChoiceField(label=_("Parent"), required=False, empty_label=_("(top level)"),
                                 queryset=Category.objects.order_by("path"))
    code = forms.CharField(label=_("Code"), max_length=32)
    name_zh = forms.CharField(label=_("Name (Chinese)"), max_length=200, required=False)
    name_en = forms.CharField(label=_("Name (English)"), max_length=200, required=False)
    sort_order = forms.IntegerField(label=_("Sort order"), min_value=0, max_value=32767,
                                    initial=0)


class CategoryRenameForm(forms.Form):
    """A category's names in both languages and its place among its siblings."""

    name_zh = forms.CharField(label=_("Name (Chinese)"), max_length=200, required=False)
    name_en = forms.CharField(label=_("Name (English)"), max_length=200, required=False)
    sort_order = forms.IntegerField(label=_("Sort order"), min_value=0, max_value=32767)


def time_zone_choices() -> list:
    """The common zones first, then every zoneinfo name, with the site's default as blank."""
    common = [(name, name) for name in COMMON_TIME_ZONES if name in time_zone_names()]
    others = [(name, name) for name in sorted(time_zone_names()) if name not in COMMON_TIME_ZONES]
    return [("", _("Company default (%(zone)s)") % {"zone": settings.TIME_ZONE}),
            (_("Common"), common), (_("All time zones"), others)]


class ProfileForm(forms.Form):
    """A person's time zone and language."""

    time_zone = forms.ChoiceField(label=_("Time zone"), required=False)
    language = forms.ChoiceField(label=_("Language"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = time_zone_choices()
        self.fields["language"].choices = [("", _("As my browser asks"))] + [
            (code, name) for code, name in settings.LANGUAGES]
