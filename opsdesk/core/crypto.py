"""Encryption of secrets kept in the database (Fernet: AES-128-CBC with an HMAC-SHA256 tag).

Keys come from settings.OPSDESK_ENCRYPTION_KEYS (comma-separated Fernet keys): the first
encrypts, every one decrypts, so a key is rotated by putting a new one first, running
`manage.py opsdesk_rotate_secrets`, and then dropping the old one. After those keys come keys
derived from SECRET_KEY (and SECRET_KEY_FALLBACKS) with HKDF-SHA256: without
OPSDESK_ENCRYPTION_KEYS the SECRET_KEY's key encrypts, and after switching to explicit keys the
values written before still decrypt until they are rotated.

A stored value is PREFIX followed by the Fernet token, so a value without the prefix is
recognised as a legacy plaintext (written before encryption) and returned as it is. A token that
no key opens raises DecryptionError: the HMAC check makes a wrong key an error, never garbage.
"""

import base64
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _

PREFIX = "fernet:"
# Fixed, public HKDF inputs: they separate this key from any other use of SECRET_KEY.
HKDF_SALT = b"opsdesk.core.crypto"
HKDF_INFO = b"encrypted model fields"


class DecryptionError(ImproperlyConfigured):
    """A stored secret that none of the configured keys opens (a key was changed or lost)."""


def derive_key(secret: str) -> bytes:
    """The Fernet key HKDF-SHA256 derives from a SECRET_KEY."""
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=HKDF_SALT,
               info=HKDF_INFO).derive(secret.encode())
    return base64.urlsafe_b64encode(raw)


def configured_keys() -> tuple[bytes, ...]:
    """The keys in order: OPSDESK_ENCRYPTION_KEYS, then those derived from the SECRET_KEYs."""
    explicit = getattr(settings, "OPSDESK_ENCRYPTION_KEYS", None) or []
    if isinstance(explicit, str):
        explicit = explicit.split(",")
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return (*(key.strip().encode() for key in explicit if key.strip()),
            *(derive_key(secret) for secret in secrets))


@lru_cache(maxsize=8)
def _fernet(keys: tuple[bytes, ...]) -> MultiFernet:
    fernets = []
    for number, key in enumerate(keys, start=1):
        try:
            fernets.append(Fernet(key))
        except ValueError:
            raise ImproperlyConfigured(
                f"OPSDESK_ENCRYPTION_KEYS: key {number} is not a Fernet key (32 url-safe "
                "base64-encoded bytes, as Fernet.generate_key() makes).") from None
    return MultiFernet(fernets)


def fernet() -> MultiFernet:
    """The MultiFernet of the configured keys (built once per set of keys)."""
    return _fernet(configured_keys())


def is_encrypted(stored: str) -> bool:
    """Whether a stored value was written encrypted (else it is a legacy plaintext)."""
    return stored.startswith(PREFIX)


def encrypt(plaintext: str) -> str:
    """The stored form of a secret: PREFIX and a Fernet token made with the first key."""
    return PREFIX + fernet().encrypt(plaintext.encode()).decode("ascii")


def decrypt(stored: str) -> str:
    """The secret of a stored value; a legacy plaintext is returned as it is."""
    if not is_encrypted(stored):
        return stored
    try:
        return fernet().decrypt(stored[len(PREFIX):].encode("ascii")).decode()
    except (InvalidToken, UnicodeError):
        raise DecryptionError(_(
            "A stored secret cannot be decrypted with the configured keys. Put the key it was "
            "encrypted with back into OPSDESK_ENCRYPTION_KEYS (after the new key), or restore "
            "the SECRET_KEY it was made with.")) from None
