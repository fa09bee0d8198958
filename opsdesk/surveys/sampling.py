"""Which closed incidents are surveyed, and the survey's one-time token: pure functions.

Sampling is deterministic: an incident is sampled when a hash of its id falls under the rate,
so the same incident always gets the same answer (testable, and the same on every worker) and
ids spread evenly over 0–99 whatever their order.
"""

import hashlib
import secrets

SAMPLING_SALT = b"opsdesk.surveys.sample:"
TOKEN_BYTES = 32


def sample_bucket(incident_id: int) -> int:
    """The incident's place from 0 to 99: sampled when it is below the rate in percent."""
    digest = hashlib.sha256(SAMPLING_SALT + str(incident_id).encode()).digest()
    return int.from_bytes(digest[:8], "big") % 100


def is_sampled(*, incident_id: int, percent: int) -> bool:
    """Whether an incident falls in a sample of `percent` % (0: none, 100: all)."""
    return sample_bucket(incident_id) < percent


def token_new() -> str:
    """A random token for the mail's links (URL-safe, 256 bits)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_digest(token: str) -> str:
    """What is stored of a token: its SHA-256, so a database leak answers no survey."""
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()
