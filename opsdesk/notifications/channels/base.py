"""What every sender shares: the failure it raises, and a JSON POST with timeouts."""

import json

import httpx

from opsdesk.core.netguard import OutboundBlocked, outbound_client

# Connect fast or give up; a robot that has not answered in 10 s is retried later.
HTTP_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
USER_AGENT = "opsdesk-notifications/1"


class SendError(Exception):
    """A send that did not succeed. `permanent` failures go straight to dead (no retry helps)."""

    def __init__(self, message: str, *, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


class RateLimited(SendError):
    """The receiver said we post too fast (HTTP 429, or a robot's own "too fast" errcode)."""


def json_bytes(data: dict) -> bytes:
    """Compact UTF-8 JSON (Chinese stays readable, and the bytes are exactly what is signed)."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def post_json(url: str, body: bytes, headers: dict | None = None) -> httpx.Response:
    """POST the body; a transport error or a non-2xx answer raises SendError (retryable).

    The URL's host must be public or allowed (core/netguard.py): an internal one fails for good.

    HTTP 429 raises RateLimited: a robot's delivery then waits instead of failing.
    """
    all_headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT,
                   **(headers or {})}
    try:
        with outbound_client(timeout=HTTP_TIMEOUT) as client:
            response = client.post(url, content=body, headers=all_headers)
    except OutboundBlocked as exc:  # an internal address: no retry will change that
        raise SendError(str(exc), permanent=True) from exc
    except httpx.HTTPError as exc:
        raise SendError(f"{type(exc).__name__}: {exc}") from exc
    if response.status_code == 429:
        raise RateLimited(f"HTTP 429: {response.text[:500]}")
    if not response.is_success:
        raise SendError(f"HTTP {response.status_code}: {response.text[:500]}")
    return response


def response_json(response: httpx.Response) -> dict:
    """The answer's JSON object; anything else is a failed send."""
    try:
        data = response.json()
    except ValueError as exc:
        raise SendError(f"answer is not JSON: {response.text[:500]}") from exc
    if not isinstance(data, dict):
        raise SendError(f"answer is not a JSON object: {response.text[:500]}")
    return data


def truncate_utf8(text: str, max_bytes: int) -> str:
    """Cut text to at most max_bytes of UTF-8 without splitting a character (robots' limits)."""
    encoded = text.encode("utf-8")
    if len(encoded) <= max_bytes:
        return text
    return encoded[: max_bytes - 3].decode("utf-8", errors="ignore") + "…"
