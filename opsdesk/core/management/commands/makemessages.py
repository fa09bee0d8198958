"""makemessages that also reads `_lazy(...)`: views import gettext_lazy under that name for
form labels (their `_` is gettext). The catalogue check (core/tests/test_translations.py)
passes xgettext the same keyword."""

from django.core.management.commands import makemessages


class Command(makemessages.Command):
    xgettext_options = [*makemessages.Command.xgettext_options, "--keyword=_lazy"]
