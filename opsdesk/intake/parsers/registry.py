"""Which parser reads which integration kind, and the one call intake makes."""

from collections.abc import Callable
from typing import Any

from . import alertmanager, generic, grafana, zabbix
from .types import NormalizedAlert, ParseError

PARSERS: dict[str, Callable[..., list[NormalizedAlert]]] = {
    "alertmanager": alertmanager.parse,
    "grafana": grafana.parse,
    "zabbix": zabbix.parse,
    "generic": generic.parse,
    "datadog": generic.parse_datadog,
}
# Kinds read through a field mapping: the integration's mapping is merged onto their preset.
MAPPED_KINDS = {"generic", "datadog"}


def alerts_parse(kind: str, payload: Any, *, mapping: dict | None = None) -> list[NormalizedAlert]:
    """The alerts in one decoded JSON payload; ParseError says, for a person, why there are none.

    `mapping` is the integration's field mapping (generic and datadog only; see
    parsers.generic); the other kinds ignore it.
    """
    if kind == "icinga":
        raise ParseError("Icinga/Nagios integrations read notification mails, not JSON posts")
    parser = PARSERS.get(kind)
    if parser is None:
        raise ParseError(f"unknown alert source {kind!r} (known: {', '.join(PARSERS)})")
    return parser(payload, mapping) if kind in MAPPED_KINDS else parser(payload)
