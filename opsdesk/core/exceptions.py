"""Domain errors raised by services; the API and the web map them to 4xx responses."""

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    """Base of every error a user can act on."""

    status_code = 400
    default_message = _("The request could not be processed.")

    def __init__(self, message=None, *, errors: dict | None = None):
        self.message = message or self.default_message
        self.errors = errors or {}
        super().__init__(str(self.message))


class InvalidInput(DomainError):
    """Input is missing or wrong; `errors` maps field names to messages."""

    status_code = 422
    default_message = _("Some fields are missing or invalid.")


class NotPermitted(DomainError):
    """The actor may not do this to this record."""

    status_code = 403
    default_message = _("You do not have permission to do this.")


class NotFound(DomainError):
    """The record does not exist or is not visible to the actor."""

    status_code = 404
    default_message = _("Not found.")


class Conflict(DomainError):
    """The record is not in a state that allows this (e.g. a transition from a final status)."""

    status_code = 409
    default_message = _("This action is not allowed in the record's current state.")
