"""Message-IDs of notification mail, stable so that mail clients thread one subject's messages.

Every delivery has its own Message-ID, derived from its idempotency key, so a retry after a lost
SMTP answer carries the same ID and the client shows the message once. The first message of a
thread to an address takes the thread's ID instead (derived from the thread key); every later
message of that thread names it in In-Reply-To and References, so clients group them all.
The domain is DEFAULT_FROM_EMAIL's; the "opsdesk." prefix lets incoming mail intake recognise a
reply to one of our messages.
"""

import hashlib
from email.utils import parseaddr

from django.conf import settings


def _domain() -> str:
    address = parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    return address.rpartition("@")[2] or "opsdesk.invalid"


def _digest(value: str) -> str:
    # 96 bits: unique enough, and short enough that the header line is not folded at 78.
    return hashlib.sha256(value.encode("utf-8")).hexdigest()[:24]


def delivery_message_id(*, key: str) -> str:
    """The Message-ID of one delivery, from its idempotency key."""
    return f"<opsdesk.d.{_digest(key)}@{_domain()}>"


def thread_message_id(*, thread_key: str) -> str:
    """The stable Message-ID of a thread's first message, from the thread key."""
    return f"<opsdesk.t.{_digest(thread_key)}@{_domain()}>"


def thread_root_digest(*, thread_key: str, address: str) -> str:
    """The unique marker of "first message of this thread to this address" (Delivery.thread_root)."""
    return hashlib.sha256(f"{thread_key}\n{address.lower()}".encode()).hexdigest()
