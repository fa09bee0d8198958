"""Forms of the multi-factor pages: a code, and the administrator's policy."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import STAFF_ROLES, SsoTrust


class CodeForm(forms.Form):
    """One code: six digits from the app or, where allowed, a recovery code."""

    code = forms.CharField(
        label=_("Code"), max_length=32, strip=True,
        help_text=_("The 6-digit code your authenticator app shows now, or one of your "
                    "recovery codes."),
        error_messages={"required": _("Enter the code.")},
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autocapitalize": "none",
                                      "spellcheck": "false", "autofocus": True}))


class EnrolCodeForm(CodeForm):
    """The first code of a new authenticator (recovery codes do not exist yet)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        code = self.fields["code"]
        code.help_text = _("The 6-digit code the app shows after you added opsdesk to it.")
        code.widget.attrs.update(inputmode="numeric")


class PolicyForm(forms.Form):
    """Which roles must use multi-factor sign-in, and whether single sign-on counts."""

    required_roles = forms.MultipleChoiceField(
        label=_("Required for these roles"), required=False,
        choices=[(role.value, role.label) for role in STAFF_ROLES],
        widget=forms.CheckboxSelectMultiple,
        help_text=_("People holding any of them must set up an authenticator app at their next "
                    "page and cannot switch it off."))
    sso_trust = forms.ChoiceField(
        label=_("Single sign-on counts as multi-factor"), choices=SsoTrust.choices,
        widget=forms.RadioSelect, initial=SsoTrust.NEVER)
