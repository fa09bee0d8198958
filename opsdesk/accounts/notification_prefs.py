"""Each person's choice of what they are emailed about (NotificationKind; all on by default)."""

from django.utils.translation import gettext as _

from opsdesk.core.exceptions import InvalidInput

from .models import NotificationKind, User


def user_notifications_email_on(*, user: User) -> list[str]:
    """The kinds this person is emailed about, in NotificationKind's order."""
    off = set(user.email_notifications_off or [])
    return [kind for kind in NotificationKind.values if kind not in off]


def user_notifications_update(*, user: User, email_on: set[str]) -> User:
    """Keep email for the kinds in `email_on` and switch every other kind off."""
    unknown = set(email_on) - set(NotificationKind.values)
    if unknown:
        raise InvalidInput(errors={"email_on": _(
            "Unknown kind of notification: %(unknown)s. The kinds are: %(kinds)s.") % {
            "unknown": ", ".join(sorted(unknown)), "kinds": ", ".join(NotificationKind.values)}})
    user.email_notifications_off = [k for k in NotificationKind.values if k not in email_on]
    user.save(update_fields=["email_notifications_off"])
    return user
