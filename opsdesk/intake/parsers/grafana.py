"""Grafana unified alerting webhook (version "1"): Alertmanager's shape plus a few extras.

The extras (orgId, values, silenceURL, dashboardURL, panelURL) become annotations, so the
desk sees the value that fired and a link to silence it. The deprecated top-level
title/state/message summarise the whole group and are left out.
"""

from typing import Any

from .alertmanager import alert_read, alerts_list
from .generic import as_text
from .types import NormalizedAlert

_LINKS = {"silenceURL": "silence_url", "dashboardURL": "dashboard_url",
          "panelURL": "panel_url", "imageURL": "image_url"}


def parse(payload: Any) -> list[NormalizedAlert]:
    """Every alert of a Grafana alerting notification."""
    body, items = alerts_list(payload, "Grafana")
    return [alert_read(item, body, source="grafana", extra_annotations=_extras(item, body))
            for item in items]


def _extras(item: dict, body: dict) -> dict[str, str]:
    """Grafana's additions: links, the values that fired, the organisation."""
    extras = {name: as_text(item.get(key)) for key, name in _LINKS.items()}
    extras["values"] = _values_text(item.get("values")) or as_text(item.get("valueString"))
    extras["org_id"] = as_text(body.get("orgId"))
    return {name: text for name, text in extras.items() if text}


def _values_text(values: Any) -> str:
    """{"B": 44.2, "C": 1} as "B=44.2, C=1"."""
    if not isinstance(values, dict):
        return as_text(values)
    return ", ".join(f"{as_text(name)}={as_text(value)}" for name, value in values.items())
