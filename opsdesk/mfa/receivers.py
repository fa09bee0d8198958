"""Sign-in hook: remember in the new session whether the person has an authenticator.

The middleware reads that flag on every page instead of asking the database; the pages that add
or remove an authenticator keep it up to date, and the verify page corrects it after an
administrator's reset.
"""

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from .selectors import DEVICE_FLAG, has_authenticator


@receiver(user_logged_in, dispatch_uid="opsdesk.mfa.remember_authenticator")
def remember_authenticator(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        request.session[DEVICE_FLAG] = has_authenticator(user)
