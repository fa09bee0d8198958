"""Is a mail really from its From address? The receiving server's verdict (RFC 8601).

opsdesk does not check SPF, DKIM or DMARC itself: the mail server that received the message
from the internet did, and wrote its findings in an `Authentication-Results` header. Anyone
can write such a header too, so only a header whose authserv-id the admin named as trusted
for the mailbox counts, and of those only the topmost: MTAs prepend, so the topmost is the one
our own server added last; anything below it came with the message.

The verdict passes when that header says `dmarc=pass` for the From domain. A domain that
publishes no DMARC record (no dmarc result, or `dmarc=none`) passes with `dkim=pass` for a
d= domain, or `spf=pass` for an smtp.mailfrom domain, that is aligned with the From domain:
relaxed alignment kept simple, the From domain equals that domain or is a subdomain of it.
Anything else fails, with a reason the desk can read in the quarantine.
"""

import logging
import re
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from email.policy import compat32

import authres
from django.utils.translation import gettext as _

from ..models import Mailbox

logger = logging.getLogger(__name__)
HEADER = "Authentication-Results"
_SPLIT = re.compile(r"[\s,;]+")


@dataclass(frozen=True)
class SenderVerdict:
    """The outcome for one mail: passed, and why not (a sentence for the quarantine)."""

    passed: bool
    reason: str = ""


def trusted_ids(mailbox: Mailbox) -> list[str]:
    """The mailbox's trusted authserv-ids, lower-cased, in the order the admin wrote them."""
    return [i.lower() for i in _SPLIT.split(mailbox.trusted_authserv_ids or "") if i]


def authserv_ids_clean(text: str) -> str:
    """The admin's list, one id per line; ValueError names an id that cannot be one (an
    authserv-id is a host name or similar token: no spaces, no ';' or '=')."""
    ids = [i for i in _SPLIT.split(text or "") if i]
    for item in ids:
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9.\-_:]*", item) or len(item) > 255:
            raise ValueError(item)
    return "\n".join(dict.fromkeys(ids))


def sender_verdict(*, raw: bytes, from_address: str, trusted: list[str]) -> SenderVerdict:
    """What the topmost trusted Authentication-Results header says about the From address."""
    servers = ", ".join(trusted) or _("(none set)")
    header = _trusted_header(raw, trusted)
    if header is None:
        return SenderVerdict(False, _("sender not authenticated: no Authentication-Results "
                                      "header from %(servers)s") % {"servers": servers})
    domain = from_address.rpartition("@")[2].strip().lower().rstrip(".")
    if not domain:
        return SenderVerdict(False, _("sender not authenticated: the mail has no From "
                                      "address"))
    found = _results(header)
    return _judge(found, domain=domain, server=header.authserv_id)


def _trusted_header(raw: bytes, trusted: list[str]):
    """The first (topmost) parseable header whose authserv-id is trusted, or None."""
    if not trusted:
        return None
    message = BytesHeaderParser(policy=compat32).parsebytes(raw)
    for value in message.get_all(HEADER) or []:
        text = " ".join(str(value).split())
        try:
            header = authres.AuthenticationResultsHeader.parse_value(text)
        except Exception:  # noqa: BLE001 - a header we cannot read is one we cannot trust
            first = text.split(";", 1)[0].split()
            if first and first[0].lower() in trusted:
                logger.info("Unreadable Authentication-Results from a trusted server: %r", text)
                return _Unreadable(first[0].lower())
            continue
        if (header.authserv_id or "").lower() in trusted:
            return header
    return None


@dataclass
class _Unreadable:
    """A trusted server's header we could not parse: it proves nothing, so it fails."""

    authserv_id: str
    results: tuple = ()


def _results(header) -> dict[str, list[tuple[str, dict[str, str]]]]:
    """method -> [(result, {"header.d": "example.com", ...}), ...]"""
    found: dict[str, list] = {}
    for result in header.results:
        props = {f"{p.type}.{p.name}".lower(): str(p.value or "") for p in result.properties}
        found.setdefault(str(result.method).lower(), []).append(
            (str(result.result).lower(), props))
    return found


def aligned(domain: str, checked: str) -> bool:
    """Relaxed alignment, kept simple: the From domain is the checked domain or under it."""
    checked = checked.strip().lower().rstrip(".").rpartition("@")[2]
    return bool(checked) and (domain == checked or domain.endswith("." + checked))


def _judge(found: dict, *, domain: str, server: str) -> SenderVerdict:
    dmarc = found.get("dmarc", [])
    for result, props in dmarc:
        if result == "pass" and (not props.get("header.from")
                                 or props["header.from"].lower().rstrip(".") == domain):
            return SenderVerdict(True)
    failed = [result for result, _props in dmarc if result not in ("none", "pass")]
    if failed or any(r == "pass" for r, _p in dmarc):
        # a pass for another From domain than this mail's is no pass for this mail
        return _fail(f"dmarc={failed[0] if failed else 'pass'}", server)
    for result, props in found.get("dkim", []):
        if result == "pass" and aligned(domain, props.get("header.d", "")):
            return SenderVerdict(True)
    for result, props in found.get("spf", []):
        mailfrom = props.get("smtp.mailfrom") or props.get("smtp.mail", "")
        if result == "pass" and aligned(domain, mailfrom):
            return SenderVerdict(True)
    return _fail(_summary(found), server)


def _summary(found: dict) -> str:
    """e.g. "dmarc=none, dkim=pass (d=other.example, not aligned), spf=fail"."""
    parts = []
    for method in ("dmarc", "dkim", "spf"):
        for result, props in found.get(method, []):
            checked = props.get("header.d") or props.get("smtp.mailfrom") or props.get(
                "smtp.mail", "")
            if result == "pass" and checked and method != "dmarc":
                parts.append(_("%(method)s=pass for %(domain)s, not aligned with the From "
                               "address") % {"method": method, "domain": checked})
            else:
                parts.append(f"{method}={result}")
    return ", ".join(parts) or _("no dmarc, dkim or spf result")


def _fail(summary: str, server: str) -> SenderVerdict:
    return SenderVerdict(False, _("sender not authenticated: %(verdict)s from %(server)s") % {
        "verdict": summary, "server": server})
