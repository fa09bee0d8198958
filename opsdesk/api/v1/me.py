"""The signed-in person's own settings: which notifications they are emailed about."""

from ninja import Router, Schema
from pydantic import ConfigDict, Field

from opsdesk.accounts.models import NotificationKind
from opsdesk.accounts.notification_prefs import (
    user_notifications_email_on,
    user_notifications_update,
)

from .schemas import ERRORS, Ref

router = Router()


class NotificationPreferencesIn(Schema):
    model_config = ConfigDict(extra="forbid")

    email_on: list[str] = Field(max_length=len(NotificationKind.values) * 2, description=(
        "The kinds to be emailed about; every kind left out is switched off"))


class NotificationPreferencesOut(Schema):
    email_on: list[str] = Field(description="The kinds this person is emailed about")
    kinds: list[Ref] = Field(description="Every kind of notification, with its label")


@router.get("notification-preferences", response={200: NotificationPreferencesOut, **ERRORS},
            summary="My notification preferences")
def notification_preferences(request):
    """Which kinds of notification I am emailed about, and every kind there is."""
    return _preferences(request.auth)


@router.put("notification-preferences", response={200: NotificationPreferencesOut, **ERRORS},
            summary="Set my notification preferences")
def notification_preferences_set(request, payload: NotificationPreferencesIn):
    """Email me about exactly the kinds in `email_on` (an empty list switches all off)."""
    user = user_notifications_update(user=request.auth, email_on=set(payload.email_on))
    return _preferences(user)


def _preferences(user) -> dict:
    return {"email_on": user_notifications_email_on(user=user),
            "kinds": [{"code": kind.value, "name": str(kind.label)} for kind in NotificationKind]}
