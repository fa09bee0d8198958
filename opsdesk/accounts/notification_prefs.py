"""Each person's choice of what they are emailed about (NotificationKind; all on by default)."""

from django.utils.translation import gettext as _

from opsdesk.core.exceptions import InvalidInput

from .models import NotificationKind, User


def user_notifications_update(*, user: User, email_on: set[str]) -> User:
    """Keep email for the kinds in `email_on` and switch every other kind off."""
    unknown = set(email_on) - set(NotificationKind.values)
    if unknown:
        raise InvalidInput(errors={"email_on": _("Unknown kind of notification.")})
    user.email_notifications_off = [k for k in NotificationKind.values if k not in email_on]
    user.save(update_fields=["email_notifications_off"])
    return user
