"""Password policy for local accounts, on top of Django's validators (config/settings.py).

Django runs AUTH_PASSWORD_VALIDATORS wherever a password is chosen through its forms and
commands (admin add/change password, the profile's change-password page, createsuperuser,
changepassword), so the policy lives here once. Directory (LDAP) accounts have no local
password: their directory's policy applies.
"""

import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .signals import password_changed


def character_classes(password: str) -> set[str]:
    """Which of lower, upper, digit and other a password uses (Chinese counts as other)."""
    classes = set()
    for char in password:
        if char.isdigit():
            classes.add("digit")
        elif char.islower():
            classes.add("lower")
        elif char.isupper():
            classes.add("upper")
        elif not unicodedata.category(char).startswith("C"):
            classes.add("other")
    return classes


class PolicyValidator:
    """Mixed kinds of character and no banned word; tells the audit log a password changed.

    min_classes: how many of lower case, upper case, digits and others a password mixes.
    banned_words: none may appear anywhere in it, whatever the case (the company's name...).
    """

    def __init__(self, min_classes: int = 3, banned_words=()):
        self.min_classes = max(1, min(4, min_classes))
        self.banned_words = [w.strip().casefold() for w in banned_words if len(w.strip()) >= 3]

    def validate(self, password, user=None):
        if len(character_classes(password)) < self.min_classes:
            raise ValidationError(self._classes_text(), code="password_too_simple")
        folded = password.casefold()
        for word in self.banned_words:
            if word in folded:
                raise ValidationError(
                    _("Your password must not contain “%(word)s”.") % {"word": word},
                    code="password_banned_word")

    def password_changed(self, password, user=None):
        """Django calls this after every saved new password, whichever path set it."""
        if user is not None:
            password_changed.send(sender=type(user), user=user)

    def get_help_text(self):
        text = self._classes_text()
        if self.banned_words:
            text += " " + _("It must not contain: %(words)s.") % {
                "words": ", ".join(self.banned_words)}
        return text

    def _classes_text(self) -> str:
        return ngettext(
            "Your password must mix at least %(count)d kind of character: lower case, upper "
            "case, digits, symbols or other characters.",
            "Your password must mix at least %(count)d kinds of character: lower case, upper "
            "case, digits, symbols or other characters.",
            self.min_classes) % {"count": self.min_classes}
