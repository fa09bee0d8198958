"""A person's own multi-factor pages: set up an app, recovery codes, switch off, and the
verify step after signing in. Pages that show a secret are never cached."""

from base64 import b32encode
from urllib.parse import urlencode

import django_otp
import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.template.response import TemplateResponse
from django.utils import formats, timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from opsdesk.core import crypto
from opsdesk.core.admin_site import can_administer
from opsdesk.core.exceptions import Conflict, InvalidInput

from . import selectors, services
from .forms import CodeForm, EnrolCodeForm


@never_cache
@login_required
def index(request):
    """Set up an authenticator app, or (once on) recovery codes and switching off."""
    request.session.pop(selectors.NEW_CODES, None)  # shown once: leaving the codes ends them
    device = selectors.authenticator_of(request.user)
    if device is None:
        return _enrol_page(request, EnrolCodeForm())
    return _manage_page(request, device, disable_form=CodeForm())


@never_cache
@login_required
@require_POST
def setup(request):
    """Confirm the new app with its first code; then show the recovery codes."""
    form = EnrolCodeForm(request.POST)
    if not form.is_valid():
        return _enrol_page(request, form, status=422)
    try:
        check, codes = services.enrolment_confirm(user=request.user,
                                                  code=form.cleaned_data["code"], request=request)
    except Conflict as error:
        messages.info(request, error.message)
        return redirect("mfa:index")
    if check.device is None:
        _refuse(form, check)
        return _enrol_page(request, form, status=429 if check.locked_until else 422)
    _passed(request, check.device)
    _keep_new_codes(request, codes)
    messages.success(request, _("Multi-factor sign-in is on. Keep your recovery codes safe."))
    return redirect(f"{reverse('mfa:recovery')}?{urlencode({'next': _next_url(request)})}")


@never_cache
@login_required
def recovery(request):
    """The recovery codes just made, while they are still in this session."""
    codes = _new_codes(request)
    if not codes:
        messages.info(request, _("Recovery codes are shown only once. If you lost them, make "
                                 "new ones."))
        return redirect("mfa:index")
    shown = [services.format_recovery_code(code) for code in codes]
    return TemplateResponse(request, "mfa/recovery.html",
                            {"codes": shown, "nav": "profile", "next": _next_url(request)})


@never_cache
@login_required
def recovery_download(request):
    """The recovery codes just made, as a text file to keep."""
    codes = _new_codes(request)
    if not codes:
        return HttpResponse(_("Recovery codes are shown only once. If you lost them, make new "
                              "ones on your multi-factor page."), status=404,
                            content_type="text/plain; charset=utf-8")
    lines = [_("opsdesk recovery codes for %(user)s") % {"user": request.user.username},
             _("Each code works once, in place of the code from your authenticator app."), "",
             *(services.format_recovery_code(code) for code in codes), ""]
    response = HttpResponse("\r\n".join(lines), content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="opsdesk-recovery-codes.txt"'
    return response


def _keep_new_codes(request, codes: list[str]) -> None:
    """Keep the new codes for the pages that show them, encrypted: the session's data is stored
    in the database (and its backups) until the person is done with them."""
    request.session[selectors.NEW_CODES] = crypto.encrypt(" ".join(codes))


def _new_codes(request) -> list[str]:
    """The codes `_keep_new_codes` kept; none when the keys changed meanwhile."""
    stored = request.session.get(selectors.NEW_CODES)
    if not stored or not isinstance(stored, str):
        return []
    try:
        return crypto.decrypt(stored).split()
    except crypto.DecryptionError:
        return []


@login_required
@require_POST
def recovery_done(request):
    """The person has saved the codes: stop showing them, go on where they were going."""
    request.session.pop(selectors.NEW_CODES, None)
    next_url = _next_url(request)
    return redirect(next_url if next_url != "/" else "mfa:index")


@never_cache
@login_required
@require_POST
def recovery_regenerate(request):
    """New recovery codes; the old ones stop working at once."""
    if not selectors.has_authenticator(request.user):
        return redirect("mfa:index")
    _keep_new_codes(request, services.recovery_codes_generate(user=request.user))
    messages.success(request, _("New recovery codes are made; the old ones no longer work."))
    return redirect("mfa:recovery")


@never_cache
@login_required
@require_POST
def disable(request):
    """Switch multi-factor sign-in off with a current code (not while a role requires it)."""
    device = selectors.authenticator_of(request.user)
    form = CodeForm(request.POST)
    if device is None:
        return redirect("mfa:index")
    if not form.is_valid():
        return _manage_page(request, device, disable_form=form, status=422)
    try:
        check = services.mfa_disable(user=request.user, code=form.cleaned_data["code"],
                                     request=request)
    except (InvalidInput, services.SecretUnreadable) as error:
        form.add_error(None, error.message)
        return _manage_page(request, device, disable_form=form, status=error.status_code)
    if check.device is None:
        _refuse(form, check)
        return _manage_page(request, device, disable_form=form,
                            status=429 if check.locked_until else 422)
    request.session.pop(django_otp.DEVICE_ID_SESSION_KEY, None)
    request.session[selectors.DEVICE_FLAG] = False
    messages.success(request, _("Multi-factor sign-in is off. Your recovery codes no longer "
                                "work."))
    return redirect("mfa:index")


@never_cache
@login_required
def verify(request):
    """The second step of signing in: a code from the app or a recovery code."""
    next_url = _next_url(request)
    if selectors.pending_step(request) != "verify":
        if not selectors.has_authenticator(request.user):
            request.session[selectors.DEVICE_FLAG] = False  # reset by an administrator
        return redirect(next_url)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            check = services.code_check(user=request.user, code=form.cleaned_data["code"])
        except services.SecretUnreadable as error:
            form.add_error(None, error.message)
            return TemplateResponse(request, "mfa/verify.html", {"form": form, "next": next_url},
                                    status=error.status_code)
        if check.device is not None:
            _passed(request, check.device)
            if check.used_recovery_code:
                _warn_codes_left(request)
            return redirect(next_url)
        _refuse(form, check)
    status = 200 if not form.is_bound else 429 if _locked(form) else 422
    return TemplateResponse(request, "mfa/verify.html",
                            {"form": form, "next": next_url}, status=status)


def _passed(request, device) -> None:
    """Mark the session verified (django-otp) under a new session key."""
    django_otp.login(request, device)
    request.session[selectors.DEVICE_FLAG] = True
    request.session.cycle_key()


def _refuse(form, check: services.CodeCheck) -> None:
    """Why the code was not taken: wrong (with tries left), or wait until when."""
    if check.locked_until:
        until = formats.time_format(timezone.localtime(check.locked_until), "H:i")
        form.add_error("code", _("Too many wrong codes. Try again after %(time)s.")
                       % {"time": until})
        form.locked = True
    else:
        form.add_error("code", ngettext(
            "That code is not right, or it was used already. %(n)s try left before a pause.",
            "That code is not right, or it was used already. %(n)s tries left before a pause.",
            check.tries_left) % {"n": check.tries_left})


def _locked(form) -> bool:
    return getattr(form, "locked", False)


def _warn_codes_left(request) -> None:
    left = selectors.recovery_codes_left(request.user)
    messages.warning(request, ngettext(
        "You signed in with a recovery code; %(n)s is left. Make new ones on your multi-factor "
        "page.",
        "You signed in with a recovery code; %(n)s are left. Make new ones on your multi-factor "
        "page.", left) % {"n": left})


def _next_url(request) -> str:
    """Where to go after the step: the page asked for, if it is on this site."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(candidate, allowed_hosts={request.get_host()},
                                       require_https=request.is_secure()):
        return candidate
    return "/"


def _enrol_page(request, form, *, status: int = 200):
    """The QR code and the secret of the app being set up, and the form for its first code."""
    try:
        device = services.enrolment_device(user=request.user)
    except Conflict:
        return redirect("mfa:index")
    required = selectors.pending_step(request) == "enrol"
    context = {"form": form, "qr_svg": _qr_svg(device.config_url), "nav": "profile",
               "secret": _grouped(b32encode(device.bin_key).decode()),
               "required": required, "next": _next_url(request),
               "base_template": "mfa/pending_base.html" if required else "web/base.html"}
    return TemplateResponse(request, "mfa/enrol.html", context, status=status)


def _manage_page(request, device, *, disable_form, status: int = 200):
    context = {"device": device, "disable_form": disable_form, "nav": "profile",
               "codes_left": selectors.recovery_codes_left(request.user),
               "required": selectors.policy_current().requires(request.user),
               "can_administer": can_administer(request.user)}
    return TemplateResponse(request, "mfa/manage.html", context, status=status)


def _qr_svg(uri: str) -> str:
    """The otpauth:// URI as an inline SVG QR code (made here from our own data: safe)."""
    svg = segno.make(uri, error="m").svg_inline(scale=4, border=3, dark="#000", light="#fff",
                                                svgclass="mfa-qr-code", omitsize=False)
    return mark_safe(svg)  # noqa: S308 - segno's markup, the URI is only in the QR path data


def _grouped(secret: str) -> str:
    """ABCD EFGH …: the secret in fours, easier to type into an app by hand."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))
