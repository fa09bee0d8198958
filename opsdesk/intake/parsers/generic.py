"""Generic JSON alerts read through a field mapping, and the value helpers every parser shares.

A field mapping is a JSON object. Its values are dotted paths into the payload ("data.host";
an integer part indexes a list: "events.0.id"; keys that contain dots cannot be reached), and
"" or [] switches a field off:

    alerts           path to a list: each item is one alert. "", or a path that does not lead
                     to a list: the whole body is one alert (a body that is a list: each item).
    fingerprint      path, or list of paths whose values are joined with "/" into one key
    group_key        (["monitor_id", "scopes"]). No fingerprint: a digest of labels + summary.
    status           path; a value in resolved_values (any case) means resolved, else firing.
    resolved_values  list of strings; default ["resolved", "ok", "recovered", "closed"].
    summary, severity, description, generator_url, starts_at, ends_at
                     path, or list of paths: the first non-empty value wins.
    event_at         path to the time of this event, used as starts_at when it fires and as
                     ends_at when it resolves (tools that send one timestamp, like Datadog).
    labels, annotations
                     path to an object, to a list of "key:value" strings (or {"tag", "value"}
                     objects), or to one "key:value,key:value" string (Datadog tags); or an
                     object {name: path}; or a list of these, merged in order.

Inside an alerts list every path is looked up in the item first, then in the whole body, so
a top-level status or group key applies to every item. A mapping is merged onto
DEFAULT_MAPPING: fields it leaves out keep their default. Times may be RFC 3339 (any number of
fraction digits), or epoch seconds or milliseconds, as numbers or strings.
"""

import hashlib
import json
import re
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from .types import NormalizedAlert, ParseError

RESOLVED_VALUES = ["resolved", "ok", "recovered", "closed"]

DEFAULT_MAPPING: dict[str, Any] = {
    "alerts": "",
    "fingerprint": "id",
    "group_key": "group_key",
    "status": "status",
    "resolved_values": RESOLVED_VALUES,
    "summary": ["title", "summary", "message"],
    "severity": ["severity", "priority"],
    "description": ["description", "message", "details"],
    "starts_at": ["starts_at", "startsAt", "timestamp"],
    "ends_at": ["ends_at", "endsAt"],
    "event_at": "",
    "generator_url": ["url", "link"],
    "labels": "labels",
    "annotations": "annotations",
}

DATADOG_MAPPING: dict[str, Any] = {
    # Keep's Datadog provider dedups on the same pair: one alert per monitor and group.
    "fingerprint": ["monitor_id", "scopes"],
    "group_key": "",
    "status": "alert_transition",
    # Triggered, Re-Triggered, Warn, No Data and Renotify all still need someone's attention.
    "resolved_values": ["recovered"],
    "summary": "title",
    "severity": "severity",
    "description": "body",
    "starts_at": "",
    "ends_at": "",
    "event_at": "date",
    "generator_url": "url",
    "labels": ["scopes", {"monitor_id": "monitor_id", "event_type": "event_type"}],
    "annotations": {"alert_type": "alert_type", "transition": "alert_transition",
                    "query": "alert_query", "tags": "tags", "event_id": "id",
                    "org": "org.name"},
}

# Column sizes of intake.models.Alert and AlertGroup, so every alert a parser returns fits.
FINGERPRINT_MAX, GROUP_KEY_MAX, SEVERITY_MAX, SUMMARY_MAX, URL_MAX = 128, 255, 40, 200, 1000

# Larger epoch numbers are milliseconds: 10**11 seconds is the year 5138.
_EPOCH_MS_FROM = 10**11
_TIME_MAX = 64
_NUMBER = re.compile(r"-?\d+(\.\d+)?")
_FRACTION = re.compile(r"(\.\d{6})\d+")
_SPACED_OFFSET = re.compile(r"\s+([+-]\d{2}:?\d{2})$")
_INDEX = re.compile(r"\d{1,9}")


# Shared by every parser: text, time, keys and the one constructor that makes values fit.

def as_text(value: Any) -> str:
    """Any JSON value as text: null as "", objects and lists as compact JSON."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else _json_text(value)


def _clean(text: str) -> str:
    """Text that can be stored: lone surrogates do not encode, PostgreSQL text refuses NUL."""
    return text.encode("utf-8", "replace").decode("utf-8").replace("\x00", "")


def _clean_map(pairs: dict[str, str] | None) -> dict[str, str]:
    return {_clean(key): _clean(text) for key, text in (pairs or {}).items()}


def _json_text(value: Any) -> str:
    """Numbers as JSON writes them, objects and lists as compact JSON; "" when impossible."""
    try:
        return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                          default=str)
    except (ValueError, TypeError, RecursionError):
        return ""


def text_map(value: Any) -> dict[str, str]:
    """A JSON object as {text: text}; anything else as {}."""
    if not isinstance(value, dict):
        return {}
    return {as_text(key): as_text(item) for key, item in value.items()}


def json_kind(value: Any) -> str:
    """What a JSON value is, in words for an error message."""
    if isinstance(value, bool):
        return "true/false"
    kinds = {dict: "an object", list: "a list", str: "a string", int: "a number",
             float: "a number", type(None): "null"}
    return kinds.get(type(value), type(value).__name__)


def summary_clean(text: str) -> str:
    """The first non-blank line, whitespace squeezed, cut to the summary column."""
    line = next((line for line in text.splitlines() if line.strip()), "")
    line = " ".join(line.split())
    return line if len(line) <= SUMMARY_MAX else line[: SUMMARY_MAX - 1] + "…"


def time_parse(value: Any) -> datetime | None:
    """An aware datetime from RFC 3339 or epoch seconds/ms; None when unset or unreadable."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return _from_epoch(value)
    if not isinstance(value, str):
        return None
    text = value.strip()
    if len(text) > _TIME_MAX:  # no timestamp is longer; spares the regexes a huge string
        return None
    return _from_epoch(float(text)) if _NUMBER.fullmatch(text) else _from_iso(text)


def _from_epoch(number: float) -> datetime | None:
    """Epoch seconds or milliseconds; 0 is how tools say "not set"."""
    try:
        seconds = number / 1000 if abs(number) >= _EPOCH_MS_FROM else number
        return datetime.fromtimestamp(seconds, tz=UTC) if seconds else None
    except (OverflowError, OSError, ValueError):
        return None


def _from_iso(text: str) -> datetime | None:
    """RFC 3339 or ISO 8601; a time without a zone is taken as UTC."""
    text = _FRACTION.sub(r"\1", text)  # Alertmanager sends nanoseconds; Python reads 6 digits
    text = _SPACED_OFFSET.sub(r"\1", text)  # "2017-01-14 11:33:02 +0100" (Icinga mails)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.year <= 1:  # Go's zero time, 0001-01-01T00:00:00Z, means "not set"
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def key_digest(*parts: Any) -> str:
    """A stable 32-hex key of JSON-able parts (sha256; the order of object keys is ignored)."""
    blob = json.dumps(parts, sort_keys=True, ensure_ascii=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


def _key_fit(key: str, limit: int) -> str:
    """The key itself when it fits its column, else its digest, which is just as stable."""
    return key if len(key) <= limit else key_digest(key)


def _link(url: str) -> str:
    """Only http(s) links: the desk renders them as hrefs, and a javascript: URL would run."""
    url = url.strip()
    ok = url.lower().startswith(("http://", "https://")) and len(url) <= URL_MAX
    return url if ok else ""


def alert_build(*, source: str, fingerprint: str, status: str, summary: str,
                severity: str = "", description: str = "",
                labels: dict[str, str] | None = None, annotations: dict[str, str] | None = None,
                starts_at: datetime | None = None, ends_at: datetime | None = None,
                generator_url: str = "", group_key: str = "") -> NormalizedAlert:
    """A NormalizedAlert whose values can be stored and fit intake's columns.

    Without a fingerprint it is a digest of the labels and the summary.
    """
    labels = _clean_map(labels)
    summary = summary_clean(_clean(summary)) or f"Untitled {source} alert"
    return NormalizedAlert(
        source=source, status=status, summary=summary, description=_clean(description),
        fingerprint=_key_fit(_clean(fingerprint) or key_digest(labels, summary), FINGERPRINT_MAX),
        severity=" ".join(_clean(severity).split()).lower()[:SEVERITY_MAX],
        labels=labels, annotations=_clean_map(annotations), starts_at=starts_at,
        ends_at=ends_at, generator_url=_link(_clean(generator_url)),
        group_key=_key_fit(_clean(group_key), GROUP_KEY_MAX))


def pairs_from(value: Any) -> dict[str, str]:
    """Labels from an object, a list of "k:v" strings or {"tag","value"} objects, or "k:v,k:v"."""
    if isinstance(value, dict):
        return text_map(value)
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list):
        return {}
    pairs = (_pair(item) for item in value)
    return {name: text for name, text in pairs if name}


def _pair(item: Any) -> tuple[str, str]:
    """One label from "key:value" or {"tag"|"key"|"name": …, "value": …}."""
    if isinstance(item, dict):
        name = item.get("tag", item.get("key", item.get("name")))
        return as_text(name).strip(), as_text(item.get("value"))
    name, _, text = as_text(item).partition(":")
    return name.strip(), text.strip()


# The mapping.

def mapping_errors(mapping: Any) -> list[str]:
    """What is wrong with a field mapping, in words for the integration form; [] if usable."""
    if not isinstance(mapping, dict):
        return [f"the field mapping must be a JSON object, not {json_kind(mapping)}"]
    errors = [f"unknown field {name!r} (known: {', '.join(_SHAPES)})"
              for name in mapping if name not in _SHAPES]
    return errors + [f"{name!r} must be {_SHAPES[name][1]}" for name, spec in mapping.items()
                     if name in _SHAPES and not _SHAPES[name][0](spec)]


def _str_list(spec: Any) -> bool:
    return isinstance(spec, list) and all(isinstance(part, str) for part in spec)


def _paths_ok(spec: Any) -> bool:
    return isinstance(spec, str) or _str_list(spec)


def _pairs_ok(spec: Any) -> bool:
    parts = spec if isinstance(spec, list) else [spec]
    return all(isinstance(part, str) or (isinstance(part, dict) and _str_list(
        list(part.values()))) for part in parts)


# Each mapping field: a check of its entry's shape, and that shape in words.
_SHAPES = {
    "alerts": (lambda spec: isinstance(spec, str), "a dotted path"),
    "resolved_values": (_str_list, "a list of strings"),
    **{name: (_paths_ok, "a dotted path or a list of them")
       for name in ("fingerprint", "group_key", "status", "summary", "severity",
                    "description", "generator_url", "starts_at", "ends_at", "event_at")},
    **{name: (_pairs_ok, "a path, an object of name to path, or a list of these")
       for name in ("labels", "annotations")},
}
MAPPING_FIELDS = tuple(_SHAPES)


def mapping_merged(mapping: Any, preset: dict[str, Any] | None = None) -> dict[str, Any]:
    """DEFAULT_MAPPING, then the preset, then the mapping; ParseError if the mapping is wrong."""
    if errors := mapping_errors({} if mapping is None else mapping):
        raise ParseError("field mapping: " + "; ".join(errors))
    return {**DEFAULT_MAPPING, **(preset or {}), **(mapping or {})}


def path_get(data: Any, path: str) -> Any:
    """The value at a dotted path ("data.host", "alerts.0"), or None; "" is the data itself."""
    for part in path.split(".") if path else ():
        if isinstance(data, dict):
            data = data.get(part)
        elif isinstance(data, list) and _INDEX.fullmatch(part) and int(part) < len(data):
            data = data[int(part)]
        else:
            return None
    return data


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, (str, list, dict)) and not value)


def _lookup(item: dict, body: Any, path: str) -> Any:
    """The path in the alert item, else in the whole body (top-level status, group key)."""
    value = path_get(item, path)
    return path_get(body, path) if _empty(value) and item is not body else value


def _paths(spec: Any) -> list[str]:
    return [spec] if isinstance(spec, str) and spec else [p for p in spec or () if p]


def _first(item: dict, body: Any, spec: Any) -> Any:
    """The first non-empty value among the paths of a mapping entry."""
    values = (_lookup(item, body, path) for path in _paths(spec))
    return next((value for value in values if not _empty(value)), None)


def _joined(item: dict, body: Any, spec: Any) -> str:
    """A key made of every path's value, joined with "/"; "" when they are all empty."""
    parts = [as_text(_lookup(item, body, path)) for path in _paths(spec)]
    return "/".join(parts) if any(parts) else ""


def _pairs(item: dict, body: Any, spec: Any) -> dict[str, str]:
    """Labels or annotations for a mapping entry (see the module docstring)."""
    if isinstance(spec, list):
        return {name: text for part in spec for name, text in _pairs(item, body, part).items()}
    if isinstance(spec, dict):
        found = {name: _lookup(item, body, path) for name, path in spec.items() if path}
        return {as_text(name): as_text(value) for name, value in found.items()
                if not _empty(value)}
    return pairs_from(_lookup(item, body, spec)) if spec else {}


# Parsing.

def parse(payload: Any, mapping: dict | None = None, *,
          source: str = "generic") -> list[NormalizedAlert]:
    """The alerts in any JSON body, read through `mapping` merged onto DEFAULT_MAPPING."""
    merged = mapping_merged(mapping)
    return [_alert_read(item, payload, merged, source) for item in _items(payload, merged)]


def parse_datadog(payload: Any, mapping: dict | None = None) -> list[NormalizedAlert]:
    """A Datadog webhook (its default or Keep's payload template), via DATADOG_MAPPING."""
    merged = mapping_merged(mapping, DATADOG_MAPPING)
    alerts = [_alert_read(item, payload, merged, "datadog") for item in _items(payload, merged)]
    # Datadog wraps a markdown body in "%%%" lines, which mean nothing to the desk.
    return [replace(alert, description=alert.description.strip().removeprefix("%%%")
                    .removesuffix("%%%").strip()) for alert in alerts]


def _items(payload: Any, mapping: dict[str, Any]) -> list[dict]:
    """The alert objects in the body, or ParseError when the body holds none."""
    found = path_get(payload, mapping["alerts"])
    if isinstance(found, list):
        items = found
    elif isinstance(payload, dict):
        items = [payload]
    else:
        raise ParseError(f"expected a JSON object or a list of them, got {json_kind(payload)}")
    for number, item in enumerate(items, 1):
        if not isinstance(item, dict):
            raise ParseError(f"alert #{number} is {json_kind(item)}, not an object")
    return items


def _alert_read(item: dict, body: Any, mapping: dict[str, Any], source: str) -> NormalizedAlert:
    """One alert item read through the mapping."""
    status = _status(item, body, mapping)
    summary = as_text(_first(item, body, mapping["summary"]))
    labels = _pairs(item, body, mapping["labels"])
    starts_at, ends_at = _times(item, body, mapping, status)
    return alert_build(
        source=source, status=status, summary=summary, labels=labels,
        fingerprint=_joined(item, body, mapping["fingerprint"]),
        group_key=_joined(item, body, mapping["group_key"]),
        severity=as_text(_first(item, body, mapping["severity"])),
        description=as_text(_first(item, body, mapping["description"])),
        annotations=_pairs(item, body, mapping["annotations"]),
        generator_url=as_text(_first(item, body, mapping["generator_url"])),
        starts_at=starts_at, ends_at=ends_at)


def _status(item: dict, body: Any, mapping: dict[str, Any]) -> str:
    """Resolved when the status value is one of resolved_values (any case), else firing."""
    value = as_text(_first(item, body, mapping["status"])).strip().lower()
    resolved = {text.strip().lower() for text in mapping["resolved_values"]}
    return "resolved" if value and value in resolved else "firing"


def _times(item: dict, body: Any, mapping: dict[str, Any],
           status: str) -> tuple[datetime | None, datetime | None]:
    """starts_at and ends_at; the event time fills whichever one this event marks."""
    event_at = time_parse(_first(item, body, mapping["event_at"]))
    starts_at = time_parse(_first(item, body, mapping["starts_at"]))
    ends_at = time_parse(_first(item, body, mapping["ends_at"]))
    if status == "firing":
        return starts_at or event_at, ends_at
    return starts_at, ends_at or event_at
