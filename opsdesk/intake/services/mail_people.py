"""Who a mail is from: the user with that address, or a new contact for an unknown sender."""

import re

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from ..models import Mailbox
from ..parsers.types import ParsedMail

MAIL_INTAKE_USERNAME = "mail-intake"
USERNAME_MAX = 150
# Django's username validator allows letters, digits and @.+-_ ; anything else becomes "_".
_NOT_USERNAME = re.compile(r"[^\w.@+-]")


def user_by_email(address: str):
    """The active user with this address (case-insensitive), the oldest if several; or None."""
    if not address:
        return None
    return (get_user_model().objects.filter(email__iexact=address.strip(), is_active=True)
            .order_by("id").first())


def mail_requester(*, mailbox: Mailbox | None, parsed: ParsedMail):
    """The sender as a user: matched by address, else a new contact if the mailbox creates
    them; None when the sender is unknown (or deactivated) and cannot be created."""
    user = user_by_email(parsed.from_address)
    if user is not None or not parsed.from_address:
        return user
    if mailbox is None or not mailbox.create_contacts or not _valid(parsed.from_address) \
            or _deactivated(parsed.from_address):
        return None
    return contact_create(address=parsed.from_address, name=parsed.from_name)


def _valid(address: str) -> bool:
    # Notifications go to the contact's address: one they would refuse makes no contact.
    try:
        validate_email(address)
    except ValidationError:
        return False
    return True


def _deactivated(address: str) -> bool:
    # A person whose account was switched off does not come back as a fresh contact.
    return get_user_model().objects.filter(email__iexact=address, is_active=False).exists()


def contact_create(*, address: str, name: str = ""):
    """A plain user for an outside sender: no password to sign in with, no staff role."""
    User = get_user_model()
    base = _NOT_USERNAME.sub("_", address.strip().lower())[:USERNAME_MAX]
    for attempt in range(1, 100):
        suffix = "" if attempt == 1 else f"-{attempt}"
        user = User(username=base[:USERNAME_MAX - len(suffix)] + suffix, email=address.strip(),
                    display_name=" ".join(name.split())[:150])
        user.set_unusable_password()
        try:
            with transaction.atomic():
                user.save()
            return user
        except IntegrityError:  # that user name is taken: try the next suffix
            continue
    raise IntegrityError(f"no free user name for {address}")


def mail_intake_user():
    """The system account that writes mail intake's work notes; it cannot sign in."""
    user, created = get_user_model().objects.get_or_create(
        username=MAIL_INTAKE_USERNAME, defaults={"display_name": "邮件收件 (Mail intake)"})
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user
