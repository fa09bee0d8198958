"""Icinga 2 and Nagios notification mails.

Icinga and Nagios notify by mail (no native webhook), in two layouts:

- classic (Icinga 2 before 2.7, Nagios): "Notification Type: PROBLEM", "Service:", "Host:",
  "State:", "Date/Time:", "Additional Info:" lines; subject "PROBLEM - host - service is
  WARNING" (Nagios: "** PROBLEM Service Alert: host/service is WARNING **");
- bracket (mail-service-notification.sh since 2.7): subject "[PROBLEM] <service> on <host> is
  WARNING!", the same headline in the body, then "Info:", "When:", "Service:", "Host:".

The body decides and the subject only fills gaps: a recovery mail's subject can still say
PROBLEM. The fingerprint and group key are Icinga's own object name, "host!service" ("host"
for a host check), so a problem and its recovery are one alert and two services are two.
Severity is the state as Icinga spells it, lower-case (warning, critical, down; ok, up).
"""

import quopri
import re

from .generic import alert_build, time_parse
from .types import NormalizedAlert

_STATES = "OK|WARNING|CRITICAL|UNKNOWN|UP|DOWN|UNREACHABLE"
_TYPES = {"PROBLEM", "RECOVERY", "ACKNOWLEDGEMENT", "CUSTOM", "FLAPPINGSTART", "FLAPPINGSTOP",
          "FLAPPINGEND", "FLAPPINGDISABLED", "DOWNTIMESTART", "DOWNTIMEEND", "DOWNTIMEREMOVED",
          "DOWNTIMECANCELLED"}
_RESOLVED_STATES = {"OK", "UP"}
# [ \t], not \s: an empty "Address:" must not take the next line as its value.
_FIELD = re.compile(r"^[ \t]*([A-Za-z][A-Za-z0-9 /-]{0,30}?)[ \t]*:(.*)$", re.MULTILINE)
_HEADLINE = re.compile(
    rf"^[ \t]*(?:(?P<service>.+?) on )?(?P<host>\S+) is (?P<state>{_STATES})!?[ \t]*$",
    re.MULTILINE)
_SUBJECTS = (
    re.compile(r"^\[(?P<type>[A-Z]+)\]\s*(?P<headline>.*)$"),
    re.compile(rf"^(?P<type>[A-Z]+) - (?P<host>\S+)(?: - (?P<service>.+?))?"
               rf" is (?P<state>{_STATES})$"),
    re.compile(rf"^\*\* (?P<type>[A-Z]+) (?:Service|Host) Alert: (?P<host>[^/\s]+)"
               rf"(?:/(?P<service>.+?))? is (?P<state>{_STATES}) \*\*$"),
)
# Mails sent without MIME headers are read as 7bit, so their quoted-printable ("=3D") stays.
_QUOTED_PRINTABLE = re.compile(r"=3D|=20$", re.MULTILINE)
_ANNOTATIONS = {"notification type": "notification_type", "state": "state",
                "address": "address", "ipv4": "ipv4", "ipv6": "ipv6", "author": "author",
                "comment": "comment"}


def parse_icinga_mail(subject: str, body_text: str) -> NormalizedAlert | None:
    """The alert an Icinga/Nagios notification mail reports; None when it is not one."""
    text = _quoted_printable_undone(body_text or "")
    fields = _fields(text)
    facts = _facts(" ".join((subject or "").split()), text, fields)
    if facts["type"].upper() not in _TYPES or not facts["host"]:
        return None
    return _alert(facts, fields, text)


def _quoted_printable_undone(text: str) -> str:
    """The text with stray quoted-printable decoded; untouched when there is none."""
    if not _QUOTED_PRINTABLE.search(text):
        return text
    return quopri.decodestring(text.encode("utf-8", "replace")).decode("utf-8", "replace")


def _fields(text: str) -> dict[str, str]:
    """The "Name: value" lines, by lower-case name; the first of each name wins."""
    found: dict[str, str] = {}
    for name, value in _FIELD.findall(text):
        found.setdefault(name.strip().lower(), value.strip())
    return found


def _facts(subject: str, text: str, fields: dict[str, str]) -> dict[str, str]:
    """Type, host, service and state: the body's lines, then its headline, then the subject."""
    facts = {"type": fields.get("notification type", ""), "host": fields.get("host", ""),
             "service": fields.get("service", ""), "state": fields.get("state", "")}
    headline = _HEADLINE.search(text)
    for found in (headline.groupdict() if headline else {}, _subject_facts(subject)):
        facts.update({key: value for key, value in found.items() if value and not facts[key]})
    return facts


def _subject_facts(subject: str) -> dict[str, str]:
    """What a notification subject says, in either layout; {} for any other subject."""
    for pattern in _SUBJECTS:
        if match := pattern.match(subject):
            facts = {key: value or "" for key, value in match.groupdict().items()}
            headline = _HEADLINE.match(facts.pop("headline", ""))
            return {**facts, **(headline.groupdict() if headline else {})}
    return {}


def _status(facts: dict[str, str]) -> str:
    """The state decides, else the notification type."""
    if facts["state"]:
        return "resolved" if facts["state"].upper() in _RESOLVED_STATES else "firing"
    return "resolved" if facts["type"].upper() == "RECOVERY" else "firing"


def _alert(facts: dict[str, str], fields: dict[str, str], text: str) -> NormalizedAlert:
    """The alert the facts describe; the mail's time marks a start or an end."""
    host, service, state = facts["host"], facts["service"], facts["state"].upper()
    key = f"{host}!{service}" if service else host  # Icinga's own name of a service object
    status = _status(facts)
    at = time_parse(fields.get("date/time") or fields.get("when"))
    what = f"{service} on {host}" if service else host
    return alert_build(
        source="icinga", fingerprint=key, group_key=key, status=status,
        summary=f"{what} is {state}" if state else what, severity=state.lower(),
        description=fields.get("additional info") or fields.get("info") or text.strip(),
        labels={"host": host, **({"service": service} if service else {})},
        annotations={name: fields[key] for key, name in _ANNOTATIONS.items() if fields.get(key)},
        starts_at=at if status == "firing" else None, ends_at=at if status == "resolved" else None)
