"""The page a person sees when single sign-on cannot sign them in: what happened, what to do."""

from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

# reason → (HTTP status, message). %(provider)s is the button's label.
REASONS = {
    "unavailable": (503, _(
        "The sign-in service %(provider)s cannot be reached right now. Try again in a few "
        "minutes; if it keeps failing, tell the service desk.")),
    "misconfigured": (502, _(
        "The sign-in service %(provider)s does not answer as opsdesk is configured to expect. "
        "Tell your administrator.")),
    "state": (400, _(
        "This sign-in has expired, was already used, or was started in another browser or tab. "
        "Start again from the sign-in page.")),
    "denied": (403, _(
        "You did not allow opsdesk to sign you in with %(provider)s. To sign in, start again "
        "and accept.")),
    "refused": (502, _(
        "%(provider)s refused the sign-in. Start again; if it keeps happening, tell your "
        "administrator.")),
    "invalid_token": (502, _(
        "The answer from %(provider)s could not be verified, so you were not signed in. Start "
        "again; if it keeps happening, tell your administrator.")),
    "inactive": (403, _(
        "Your opsdesk account is disabled. Ask the service desk or your administrator to "
        "enable it.")),
    "unknown_user": (403, _(
        "There is no opsdesk account for you yet. Ask your administrator to create one.")),
    "conflict": (403, _(
        "Your %(provider)s account could not be matched to exactly one opsdesk account. Ask "
        "your administrator to check your account's email address and user name.")),
    "unverified_email": (403, _(
        "%(provider)s has not verified your email address, so opsdesk cannot match it to your "
        "account. Verify it there, then sign in again.")),
    "name_conflict": (403, _(
        "Your %(provider)s user name belongs to another opsdesk account from the company "
        "directory, with a different email address, so opsdesk did not sign you in. Ask your "
        "administrator to check both accounts.")),
}
REASONS["ambiguous"] = REASONS["conflict"]


def error_page(request, config, reason: str):
    status, message = REASONS.get(reason, REASONS["refused"])
    context = {"message": message % {"provider": config.label}, "reason": reason,
               "may_retry": reason not in ("inactive", "unknown_user", "conflict", "ambiguous",
                                           "name_conflict")}
    return render(request, "sso/error.html", context, status=status)
