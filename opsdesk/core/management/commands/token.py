"""`manage.py token create|revoke|list`: personal API tokens from the command line."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.utils.translation import pgettext

from opsdesk.accounts.models import ApiToken, User
from opsdesk.accounts.services import api_token_create, api_token_revoke

from ..output import table


class Command(BaseCommand):
    @property
    def help(self) -> str:  # argparse needs a real string, translated when asked for
        return _("Create, revoke and list personal API tokens.")

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        create = actions.add_parser("create", help=gettext_lazy("Create a token and print it."))
        create.add_argument("username")
        create.add_argument("--name", default="", help=gettext_lazy("What the token is for."))
        revoke = actions.add_parser("revoke", help=gettext_lazy("Revoke a token at once."))
        revoke.add_argument("prefix", help=gettext_lazy("The token's prefix (or the token)."))
        listing = actions.add_parser("list", help=gettext_lazy("List a user's tokens."))
        listing.add_argument("username")

    def handle(self, *args, action: str, **options):
        getattr(self, f"_{action}")(**options)

    def _create(self, *, username: str, name: str, **options) -> None:
        user = _user(username)
        if not user.is_active:
            raise CommandError(_("The account “%(username)s” is disabled.") % {
                "username": username})
        _token, secret = api_token_create(user=user, name=name)
        self.stdout.write(secret)
        self.stderr.write(_("Token for %(username)s created. Keep it safe: it is shown only "
                 "once.") % {"username": username})

    def _revoke(self, *, prefix: str, **options) -> None:
        tokens = list(ApiToken.objects.filter(prefix=prefix.strip()[:12]))
        if not tokens:
            raise CommandError(_("No token starts with “%(prefix)s”.") % {"prefix": prefix})
        for token in tokens:
            api_token_revoke(token=token)
            self.stdout.write(_("Revoked %(token)s.") % {"token": token})

    def _list(self, *, username: str, **options) -> None:
        tokens = _user(username).api_tokens.all()
        rows = [(_("prefix"), _("name"), _("created at"), _("last used at"), _("state"))]
        rows += [(t.prefix, t.name or "-", _when(t.created_at), _when(t.last_used_at),
                  _state(t)) for t in tokens]
        self.stdout.write(table(rows) if len(rows) > 1 else _("%(username)s has no tokens.") % {
            "username": username})


def _user(username: str) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        raise CommandError(_("There is no user “%(username)s”.") % {"username": username})
    return user


def _when(moment) -> str:
    return date_format(timezone.localtime(moment), "Y-m-d H:i") if moment else "-"


def _state(token: ApiToken) -> str:
    if token.revoked_at:
        return _("revoked")
    return pgettext("token state", "usable") if token.is_usable else _("expired")
