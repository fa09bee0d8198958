"""The sign-in form: Django's, with a plain word when the directory cannot be reached."""

from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


class SignInForm(AuthenticationForm):
    """Local and directory accounts sign in here; the backends decide which one it is."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "directory_unavailable": _(
            "The user name or password is wrong, or the company directory cannot be reached "
            "right now. Try again in a few minutes; if it keeps failing, tell the service desk."),
        "directory_conflict": _(
            "Your directory account has the same user name as another person's opsdesk account "
            "(the email addresses differ), so opsdesk did not sign you in. Ask your "
            "administrator to check both accounts."),
    }

    def get_invalid_login_error(self):
        if getattr(self.request, "opsdesk_directory_conflict", False):
            return ValidationError(self.error_messages["directory_conflict"],
                                   code="directory_conflict")
        if getattr(self.request, "opsdesk_directory_unavailable", False):
            return ValidationError(self.error_messages["directory_unavailable"],
                                   code="directory_unavailable")
        return super().get_invalid_login_error()
