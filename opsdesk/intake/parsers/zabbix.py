"""Zabbix webhook and script media types.

Zabbix has no JSON schema of its own: a media type posts whatever its script builds. This
reads Grafana OnCall's script shape (alert_uid, title, state "alerting"/"ok", message) and the
usual hand-written shapes. Field names match ignoring case and "_", ".", "-", " ", and nested
objects are flattened ({"event": {"id": 1}} is event_id), so event_id, eventId, EVENT.ID are
one name. The first name found wins:

    id        alert_uid, event_id, problem_id            fingerprint and group_key
    title     title, subject, trigger_name, name, event_name   summary
    status    state, status, event_status, event_value, trigger_status, trigger_value
              resolved: ok, resolved, recovered, recovery, up, 0 ({EVENT.VALUE}); else firing
    severity  severity, trigger_severity, event_severity, priority, event_nseverity
              (0-5 become Zabbix's names: not classified … disaster)
    host      host, host_name, hostname, host_host, host_ip   label "host"
    message   message, description, body, event_message, alert_message, opdata
    link      link_to_upstream_details, url, link, event_url, trigger_url
    time      starts_at, clock, timestamp, event_timestamp    RFC 3339 or epoch
    tags      tags, event_tags, event_tagsjson: object, [{"tag","value"}] or "k:v,k:v"

Use {EVENT.ID} for the id: Zabbix gives the recovery the problem's {EVENT.ID}, so both land
on one alert. Without an id the fingerprint is a digest of host + trigger name (or title).
Other top-level text fields become annotations (OnCall's image_url, for one).
"""

import re
from typing import Any

from .generic import alert_build, as_text, json_kind, key_digest, pairs_from, time_parse
from .types import NormalizedAlert, ParseError

_NAMES = {
    "id": ("alertuid", "eventid", "problemid"),
    "title": ("title", "subject", "triggername", "name", "eventname"),
    "status": ("state", "status", "eventstatus", "eventvalue", "triggerstatus", "triggervalue"),
    "severity": ("severity", "triggerseverity", "eventseverity", "priority", "eventnseverity"),
    "host": ("host", "hostname", "hosthost", "hostip"),
    "message": ("message", "description", "body", "eventmessage", "alertmessage", "opdata"),
    "link": ("linktoupstreamdetails", "url", "link", "eventurl", "triggerurl"),
    "time": ("startsat", "clock", "timestamp", "eventtimestamp"),
    "tags": ("tags", "eventtags", "eventtagsjson"),
}
_KNOWN = {name for names in _NAMES.values() for name in names}
_RESOLVED = {"ok", "resolved", "recovered", "recovery", "up", "0"}
_SEVERITY_NUMBERS = {str(number): name for number, name in enumerate(
    ("not classified", "information", "warning", "average", "high", "disaster"))}
_NOT_NAME = re.compile(r"[\s_.\-]")
_FLATTEN_DEPTH = 3


def parse(payload: Any) -> list[NormalizedAlert]:
    """The one alert a Zabbix media type posts."""
    if not isinstance(payload, dict):
        raise ParseError(f"a Zabbix webhook sends a JSON object, this is {json_kind(payload)}")
    fields = _flatten(payload)
    if not (_get(fields, "id") or _get(fields, "title")):
        raise ParseError("no Zabbix fields: expected alert_uid or event_id, or title or "
                         "trigger_name (see opsdesk.intake.parsers.zabbix)")
    return [_alert(fields, payload)]


def _name(key: Any) -> str:
    """A field name as matched: lower case without "_", ".", "-" or spaces."""
    return _NOT_NAME.sub("", as_text(key).lower())


def _flatten(data: dict, prefix: str = "", depth: int = 0) -> dict[str, Any]:
    """Every leaf under its joined name ({"event": {"id": 1}} → "eventid"); first one wins."""
    found: dict[str, Any] = {}
    for key, value in data.items():
        name = prefix + _name(key)
        if isinstance(value, dict) and depth < _FLATTEN_DEPTH:
            nested = _flatten(value, name, depth + 1)
            found.update({k: v for k, v in nested.items() if k not in found})
        else:
            found.setdefault(name, value)
    return found


def _get(fields: dict[str, Any], what: str) -> Any:
    """The first non-empty field among the names for `what`."""
    values = (fields.get(name) for name in _NAMES[what])
    return next((value for value in values if value not in (None, "", [], {})), None)


def _text(fields: dict[str, Any], what: str) -> str:
    return as_text(_get(fields, what)).strip()


def _alert(fields: dict[str, Any], payload: dict) -> NormalizedAlert:
    """The alert the flattened fields describe."""
    uid, host = _text(fields, "id"), _text(fields, "host")
    trigger = _text(fields, "title")
    status = "resolved" if _text(fields, "status").lower() in _RESOLVED else "firing"
    at = time_parse(_get(fields, "time"))
    return alert_build(
        source="zabbix", status=status, summary=_summary(trigger, host),
        fingerprint=uid or key_digest(host, as_text(fields.get("triggername")) or trigger),
        group_key=uid, severity=_severity(_text(fields, "severity")),
        description=_text(fields, "message"), generator_url=_text(fields, "link"),
        labels={**pairs_from(_get(fields, "tags")), **({"host": host} if host else {})},
        annotations=_annotations(payload),
        starts_at=at if status == "firing" else None, ends_at=at if status == "resolved" else None)


def _summary(title: str, host: str) -> str:
    """The title, with " on <host>" when the title does not name the host already."""
    if host and title and host not in title:
        return f"{title} on {host}"
    return title or host


def _severity(text: str) -> str:
    """Zabbix's severity name; {EVENT.NSEVERITY} numbers become the name."""
    return _SEVERITY_NUMBERS.get(text, text)


def _annotations(payload: dict) -> dict[str, str]:
    """Top-level text fields this parser does not read otherwise (OnCall's image_url)."""
    return {as_text(key): as_text(value) for key, value in payload.items()
            if _name(key) not in _KNOWN and not isinstance(value, (dict, list))
            and value not in (None, "")}
