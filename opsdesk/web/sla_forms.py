"""The SLA policy form of the settings pages: targets typed as "15 min", "4 h", "1 working day".

The form turns typed targets into business seconds on the chosen calendar; the services in
opsdesk.sla.policies decide and save.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from opsdesk.accounts.models import Organisation
from opsdesk.cmdb.models import Service
from opsdesk.reference.models import PendingReason, Priority
from opsdesk.sla.models import (
    PAUSE_STATUS_CHOICES,
    BusinessCalendar,
    SlaPolicy,
    default_resolution_pause_statuses,
)
from opsdesk.sla.selectors import calendar_snapshot
from opsdesk.sla.targets import target_parse, target_text

from .settings_forms import NamedChoiceField

TARGET_HELP = _("A number and a unit: “15 min”, “4 h”, “1 working day” (the calendar's "
                "working day: 8 h in 5×8, 24 h in 7×24).")
# Form fields copied to the policy as they are (targets and pause reasons are converted).
PLAIN_FIELDS = ("name_zh", "name_en", "priority", "service", "organisation",
                "response_calendar", "resolution_calendar", "response_pause_statuses",
                "resolution_pause_statuses", "warn_first_percent",
                "warn_second_percent", "notify_manager_at_creation",
                "notify_managers_at_second_warning", "escalate_on_breach",
                "escalate_to_vendor_on_breach",
                "escalate_after_reassignments", "auto_close_calendar",
                "auto_close_working_days", "sort_order", "is_active")


class PriorityChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"P{obj.level} {obj.name}"


def _calendars():
    return BusinessCalendar.objects.filter(is_active=True)


class SlaPolicyForm(forms.Form):
    """One SLA policy: what it matches, its two targets, pauses, warnings, escalation, closing."""

    code = forms.CharField(label=_("Code"), max_length=16,
                           help_text=_("A short stable key, e.g. P2-MAIL; it cannot change "
                                       "later."))
    name_zh = forms.CharField(label=_("Name (Chinese)"), max_length=200, required=False)
    name_en = forms.CharField(label=_("Name (English)"), max_length=200, required=False)
    priority = PriorityChoiceField(label=_("Priority"), queryset=Priority.objects.all())
    service = NamedChoiceField(label=_("Service"), required=False, empty_label=_("Any service"),
                               queryset=Service.objects.filter(is_active=True))
    organisation = forms.ModelChoiceField(
        label=_("Organisation"), required=False, empty_label=_("Anyone"),
        queryset=Organisation.objects.filter(is_active=True).order_by("code"),
        help_text=_("The requester's department or a company above it."))
    response_target = forms.CharField(label=_("Response target"), help_text=TARGET_HELP)
    response_calendar = NamedChoiceField(label=_("Response calendar"), queryset=_calendars())
    resolution_target = forms.CharField(label=_("Resolution target"), help_text=TARGET_HELP)
    resolution_calendar = NamedChoiceField(label=_("Resolution calendar"), queryset=_calendars())
    response_pause_statuses = forms.TypedMultipleChoiceField(
        label=_("Statuses that pause the response clock"), required=False, coerce=int,
        choices=PAUSE_STATUS_CHOICES, widget=forms.CheckboxSelectMultiple, initial=list,
        help_text=_("Until the first response; none by default."))
    resolution_pause_statuses = forms.TypedMultipleChoiceField(
        label=_("Statuses that pause the resolution clock"), required=False, coerce=int,
        choices=PAUSE_STATUS_CHOICES, widget=forms.CheckboxSelectMultiple,
        initial=default_resolution_pause_statuses,
        help_text=_("Pending pauses for any reason; the reasons below pause only for "
                    "themselves."))
    resolution_pause_reasons = forms.ModelMultipleChoiceField(
        label=_("Pending reasons that pause the resolution clock"), required=False,
        widget=forms.CheckboxSelectMultiple, queryset=PendingReason.objects.all())
    warn_first_percent = forms.IntegerField(label=_("First warning at %"), min_value=1,
                                            max_value=98, initial=50)
    warn_second_percent = forms.IntegerField(label=_("Second warning at %"), min_value=2,
                                             max_value=99, initial=80)
    notify_manager_at_creation = forms.BooleanField(
        label=_("Notify the incident managers when an incident is logged"), required=False)
    notify_managers_at_second_warning = forms.BooleanField(
        label=_("Notify the incident managers at the second warning"), required=False)
    escalate_on_breach = forms.BooleanField(
        label=_("Reassign to the next line when resolution breaches"), required=False)
    escalate_to_vendor_on_breach = forms.BooleanField(
        label=_("Escalate to the vendor when resolution breaches"), required=False,
        help_text=_("Only incidents with a vendor: its escalation contacts are mailed once."))
    escalate_after_reassignments = forms.IntegerField(
        label=_("Notify the incident managers after this many reassignments"), min_value=0,
        max_value=100, initial=3, help_text=_("0: never."))
    auto_close_calendar = NamedChoiceField(label=_("Auto-close calendar"), queryset=_calendars())
    auto_close_working_days = forms.IntegerField(
        label=_("Close a resolved incident after working days without an answer"), min_value=0,
        max_value=60, initial=3, help_text=_("0: never close automatically."))
    sort_order = forms.IntegerField(label=_("Sort order"), min_value=0, max_value=32767,
                                    initial=0)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args, policy: SlaPolicy | None = None, **kwargs):
        if policy is not None:
            kwargs.setdefault("initial", policy_initial(policy))
        super().__init__(*args, **kwargs)
        if policy is not None:
            self.fields["code"].disabled = True
            for name in ("response_calendar", "resolution_calendar", "auto_close_calendar"):
                self.fields[name].queryset = BusinessCalendar.objects.filter(
                    is_active=True) | BusinessCalendar.objects.filter(
                    pk=getattr(policy, f"{name}_id"))

    def clean(self):
        data = super().clean()
        for clock in ("response", "resolution"):
            calendar, text = data.get(f"{clock}_calendar"), data.get(f"{clock}_target")
            if calendar is None or text is None:
                continue
            try:
                data[f"{clock}_seconds"] = target_parse(text, workday_seconds=calendar_snapshot(
                    code=calendar.code).workday_seconds)
            except ValueError as error:
                self.add_error(f"{clock}_target", str(error))
        return data

    def policy_values(self) -> dict:
        """The policy's fields from the valid form (targets in business seconds)."""
        values = {name: self.cleaned_data[name] for name in PLAIN_FIELDS}
        return {**values, "response_seconds": self.cleaned_data["response_seconds"],
                "resolution_seconds": self.cleaned_data["resolution_seconds"]}


def policy_initial(policy: SlaPolicy) -> dict:
    """The form's initial values for an existing policy (targets as text)."""
    initial = {name: getattr(policy, name) for name in PLAIN_FIELDS}
    initial.update(code=policy.code,
                   resolution_pause_reasons=list(policy.resolution_pause_reasons.all()))
    for clock in ("response", "resolution"):
        calendar = calendar_snapshot(code=getattr(policy, f"{clock}_calendar_id"))
        initial[f"{clock}_target"] = target_text(
            getattr(policy, f"{clock}_seconds"), workday_seconds=calendar.workday_seconds,
            round_the_clock=calendar.is_24x7)
    return initial


class EscalateForm(forms.Form):
    """Escalate by hand to the incident managers: why they are needed."""

    prefix = "escalate"
    reason = forms.CharField(label=_("Why the incident managers are needed"), max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 3}))
