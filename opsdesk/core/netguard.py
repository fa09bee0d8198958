"""Outgoing HTTP that cannot be pointed at internal addresses (server-side request forgery).

An administrator types the URLs of webhooks, chat robots and OAuth2 token endpoints, and opsdesk
then posts to them from inside the company network. Without a check, such a URL could reach the
cloud metadata service (169.254.169.254), the database, Redis or an intranet admin page. So:

- `outbound_url_error(url)` says why a URL may not be saved (shown as the form's field error):
  its host is, or resolves to, an address that is not public. A name that does not resolve now
  is accepted: it is checked again at every connection.
- `outbound_client()` is an httpx client whose connections resolve the host themselves, check
  every address it resolves to, and connect to the address they checked. A name that resolves
  to a public address when the URL is saved and to 127.0.0.1 a second later (DNS rebinding)
  is therefore refused at connect time. Redirects are not followed, and proxies from the
  environment are not used (a proxy would resolve the name itself).

What counts as internal: every address that Python's ipaddress does not call global (loopback,
private, link-local, shared 100.64/10, unique-local fc00::/7, site-local, reserved,
documentation, unspecified), multicast, and IPv6 forms that carry an IPv4 address
(IPv4-mapped ::ffff:a.b.c.d, NAT64 64:ff9b::/96, 6to4, Teredo), judged by that IPv4 address.

settings.OPSDESK_OUTBOUND_ALLOW lets some through: CIDRs, addresses, host names, or ".suffix"
for every name under a domain. Tests that deliver to a local server set it to 127.0.0.1.
"""

import ipaddress
import socket
from urllib.parse import urlsplit

import httpcore
import httpx
from django.conf import settings
from django.utils.translation import gettext as _

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
NAT64 = ipaddress.ip_network("64:ff9b::/96")


class OutboundBlocked(Exception):
    """A connection to an internal address was refused; str() says which and how to allow it."""


def outbound_url_error(url: str) -> str:
    """Why url may not be used for outgoing requests, or "" when it may."""
    parts = urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return _("Enter an http:// or https:// address.")
    try:
        addresses = resolve(parts.hostname, parts.port or 443)
    except socket.gaierror:
        return ""  # not resolvable now: checked again when connecting
    try:
        check_addresses(parts.hostname, addresses)
    except OutboundBlocked as exc:
        return str(exc)
    return ""


def resolve(host: str, port: int) -> list[Address]:
    """Every address host resolves to (an address literal is itself)."""
    literal = _literal(host)
    if literal is not None:
        return [literal]
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos))


def _literal(host: str) -> Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]").split("%")[0])
    except ValueError:
        return None


def check_addresses(host: str, addresses: list[Address]) -> None:
    """OutboundBlocked unless host is allowed by name or every address is public or allowed."""
    if _host_allowed(host):
        return
    for address in addresses:
        if is_internal(address) and not _address_allowed(address):
            raise OutboundBlocked(_(
                "%(host)s is an internal address (%(address)s): opsdesk does not send there "
                "unless the administrator allows it in OPSDESK_OUTBOUND_ALLOW.") % {
                    "host": host, "address": address})


def is_internal(address: Address) -> bool:
    """Whether address is anything but a public unicast address (see the module docstring)."""
    embedded = embedded_ipv4(address)
    if embedded is not None:
        return is_internal(embedded)
    return address.is_multicast or not address.is_global


def embedded_ipv4(address: Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for (mapped, NAT64, 6to4, Teredo), if any."""
    if address.version != 6:
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    return None


def _allow_entries() -> tuple[list, list[str]]:
    """(networks, host names) of settings.OPSDESK_OUTBOUND_ALLOW."""
    networks, names = [], []
    for entry in getattr(settings, "OPSDESK_OUTBOUND_ALLOW", []):
        try:
            networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
        except ValueError:
            names.append(entry.lower().rstrip("."))
    return networks, names


def _address_allowed(address: Address) -> bool:
    networks, _names = _allow_entries()
    candidates = [address] + [a for a in [embedded_ipv4(address)] if a is not None]
    return any(a in network for a in candidates for network in networks
               if a.version == network.version)


def _host_allowed(host: str) -> bool:
    host = host.lower().rstrip(".")
    _networks, names = _allow_entries()
    return any(host == name or (name.startswith(".") and host.endswith(name)) for name in names)


class GuardedBackend(httpcore.SyncBackend):
    """httpcore's socket backend, connecting only to the checked address of a host."""

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        try:
            addresses = resolve(host, port)
        except socket.gaierror as exc:
            raise httpcore.ConnectError(f"{host}: {exc}") from exc
        check_addresses(host, addresses)
        last_error = None
        for address in addresses:  # in the resolver's order, like socket.create_connection
            try:
                return super().connect_tcp(str(address), port, timeout=timeout,
                                           local_address=local_address,
                                           socket_options=socket_options)
            except httpcore.ConnectError as exc:
                last_error = exc
        raise last_error or httpcore.ConnectError(f"{host}: no address")


class GuardedTransport(httpx.HTTPTransport):
    """httpx's transport with GuardedBackend underneath (TLS still verifies the host name:
    httpcore sends the URL's host as SNI and checks the certificate against it)."""

    def __init__(self, **options):
        super().__init__(**options)
        pool = self._pool  # httpx builds its httpcore pool here; swap in our backend
        if not isinstance(pool, httpcore.ConnectionPool) or not hasattr(pool, "_network_backend"):
            raise RuntimeError("httpx changed: GuardedTransport cannot guard its connections")
        pool._network_backend = GuardedBackend()


def outbound_client(*, timeout: httpx.Timeout, verify=True) -> httpx.Client:
    """An httpx client for administrator-given URLs: guarded connections, no redirects, no
    proxy from the environment."""
    return httpx.Client(transport=GuardedTransport(verify=verify, trust_env=False),
                        timeout=timeout, follow_redirects=False, trust_env=False)
