"""Per-person settings applied to each request."""

import zoneinfo

from django.conf import settings
from django.utils import timezone, translation


class UserTimeZoneMiddleware:
    """Shows times in the signed-in person's time zone (blank: the company's TIME_ZONE).

    Their stored language applies only while the browser has not chosen one (no language
    cookie), so the language switch in the top bar keeps working.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            self._activate_time_zone(user.time_zone)
            self._activate_language(request, user.language)
        else:
            timezone.deactivate()
        return self.get_response(request)

    @staticmethod
    def _activate_time_zone(name: str) -> None:
        timezone.deactivate()
        if name:
            try:
                timezone.activate(zoneinfo.ZoneInfo(name))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                pass  # a zone removed from the system's tz database since: the company's

    @staticmethod
    def _activate_language(request, language: str) -> None:
        if language and settings.LANGUAGE_COOKIE_NAME not in request.COOKIES:
            translation.activate(language)
            request.LANGUAGE_CODE = translation.get_language()
