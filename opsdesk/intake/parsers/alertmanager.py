"""Prometheus Alertmanager webhook (version "4"): one group notification, one alert per entry.

Grafana's webhook has the same shape (see grafana.py), so the reading lives here for both.
"""

from typing import Any

from .generic import (
    alert_build,
    as_text,
    json_kind,
    key_digest,
    summary_clean,
    text_map,
    time_parse,
)
from .types import NormalizedAlert, ParseError

# Grafana's deprecated top-level state says "ok" where Alertmanager says "resolved".
_RESOLVED = {"resolved", "ok"}
_SUMMARY_ANNOTATIONS = ("summary", "title", "description", "message")
_SEVERITY_KEYS = ("severity", "priority", "level")


def parse(payload: Any) -> list[NormalizedAlert]:
    """Every alert of an Alertmanager group notification."""
    body, items = alerts_list(payload, "Alertmanager")
    return [alert_read(item, body, source="alertmanager") for item in items]


def alerts_list(payload: Any, tool: str) -> tuple[dict, list[dict]]:
    """The body and its alert objects; ParseError when it is not such a notification."""
    if not isinstance(payload, dict):
        raise ParseError(f"{tool} sends a JSON object, this is {json_kind(payload)}")
    items = payload.get("alerts")
    if not isinstance(items, list):
        raise ParseError(f"{tool} payload has no 'alerts' list ({json_kind(items)} instead)")
    for number, item in enumerate(items, 1):
        if not isinstance(item, dict):
            raise ParseError(f"{tool} alert #{number} is {json_kind(item)}, not an object")
    return payload, items


def alert_read(item: dict, body: dict, *, source: str,
               extra_annotations: dict[str, str] | None = None) -> NormalizedAlert:
    """One entry of the alerts list; the group's groupKey becomes its group_key."""
    labels, annotations = text_map(item.get("labels")), text_map(item.get("annotations"))
    status = _status(item, body)
    return alert_build(
        source=source, status=status, summary=_summary(labels, annotations),
        fingerprint=as_text(item.get("fingerprint")).strip() or key_digest(labels),
        severity=_severity(labels, annotations),
        description=annotations.get("description") or annotations.get("message", ""),
        labels=labels, annotations={**annotations, **(extra_annotations or {})},
        starts_at=time_parse(item.get("startsAt")),
        # On a firing alert endsAt is only "now + resolve_timeout", not an end.
        ends_at=time_parse(item.get("endsAt")) if status == "resolved" else None,
        generator_url=as_text(item.get("generatorURL")), group_key=as_text(body.get("groupKey")))


def _status(item: dict, body: dict) -> str:
    """The alert's own status, else the group's; with neither, a set endsAt means ended."""
    status = as_text(item.get("status")) or as_text(body.get("status"))
    if not status.strip():
        return "resolved" if time_parse(item.get("endsAt")) else "firing"
    return "resolved" if status.strip().lower() in _RESOLVED else "firing"


def _summary(labels: dict[str, str], annotations: dict[str, str]) -> str:
    """A summary-like annotation's first line, else "<alertname> on <instance>"."""
    for key in _SUMMARY_ANNOTATIONS:
        if line := summary_clean(annotations.get(key, "")):
            return line
    name, instance = labels.get("alertname", ""), labels.get("instance", "")
    return f"{name} on {instance}" if name and instance else name or instance


def _severity(labels: dict[str, str], annotations: dict[str, str]) -> str:
    """The first severity-like label, else annotation."""
    found = (pairs.get(key, "") for pairs in (labels, annotations) for key in _SEVERITY_KEYS)
    return next((value for value in found if value.strip()), "")
