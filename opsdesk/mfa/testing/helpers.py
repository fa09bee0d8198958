"""Test helpers: codes computed the way an authenticator app computes them.

The codes are worked out here from RFC 6238 (HMAC-SHA1, 30-second steps, 6 digits), not with
django-otp's own code, so a test proves that what the server accepts is what an app shows.
"""

import hashlib
import hmac
import re
import struct
import time
from base64 import b32decode

from django.test import Client

from opsdesk.mfa.models import Authenticator

PASSWORD = "correct horse battery staple"  # the password of factory users


def code_for_key(key: bytes, *, at: float | None = None) -> str:
    """The 6-digit code an app holding `key` shows at `at` (now by default)."""
    step = int((time.time() if at is None else at) // 30)
    digest = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF
    return f"{number % 1_000_000:06d}"


def code_from_secret(secret_text: str, *, at: float | None = None) -> str:
    """The code for the base32 secret as the enrolment page shows it (in groups of four)."""
    return code_for_key(b32decode(re.sub(r"\s", "", secret_text)), at=at)


def code_of(device: Authenticator, *, at: float | None = None) -> str:
    return code_for_key(device.bin_key, at=at)


def code_after(device: Authenticator, steps: int = 1) -> str:
    """The code the app shows `steps` time steps after the last step the server took from
    `device` (as loaded). Counted from the server's record rather than the clock, so a test stays
    right when a 30-second boundary falls between enrolment and the next sign-in: enrolment then
    took the previous step's code and moved the device's drift, and "now + 30 s" would be two
    steps ahead of what the server expects."""
    assert device.last_t >= 0, "the device has not taken a code yet"
    return code_for_key(device.bin_key, at=(device.last_t + steps) * 30)


def signed_in(user, language: str = "en") -> Client:
    """A client signed in through the real /login/ form (password only, no second factor),
    asking for pages in `language` (the site's default is Chinese)."""
    client = Client(headers={"Accept-Language": language})
    response = client.post("/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, response.content[:500]
    return client


def secret_on_page(html: str) -> str:
    """The manual-entry secret shown on the enrolment page."""
    match = re.search(r'id="mfa-secret">([A-Z2-7 ]+)<', html)
    assert match, "no secret on the enrolment page"
    return match.group(1)
