"""Filter rules and silences: label matchers in the style of Alertmanager's."""

import re
from functools import lru_cache

from django.db.models import Q

from ..models import AlertRule, Silence
from ..parsers.types import NormalizedAlert

OPERATORS = ("=", "!=", "=~", "!~")


def matchers_valid(matchers) -> str:
    """An error message for a bad matcher list, or "" when it is usable."""
    if not isinstance(matchers, list):
        return "Matchers must be a list of [label, operator, value]."
    for matcher in matchers:
        if not (isinstance(matcher, list) and len(matcher) == 3
                and all(isinstance(part, str) for part in matcher)):
            return "Each matcher is [label, operator, value], all text."
        if matcher[1] not in OPERATORS:
            return f"Unknown operator {matcher[1]!r}: use one of {', '.join(OPERATORS)}."
        if matcher[1] in ("=~", "!~") and _regex(matcher[2]) is None:
            return f"Not a valid regular expression: {matcher[2]!r}."
    return ""


@lru_cache(maxsize=512)
def _regex(pattern: str):
    try:
        return re.compile(pattern)
    except re.error:
        return None


def alert_matches(matchers, alert: NormalizedAlert) -> bool:
    """Whether every matcher holds; "severity" and "summary" match the alert's own fields."""
    values = {**alert.labels, "severity": alert.severity, "summary": alert.summary}
    return all(_holds(op, str(values.get(label, "")), value)
               for label, op, value in (matchers or []))


def _holds(operator: str, actual: str, expected: str) -> bool:
    if operator == "=":
        return actual == expected
    if operator == "!=":
        return actual != expected
    regex = _regex(f"(?:{expected})")
    matched = bool(regex and regex.fullmatch(actual))
    return matched if operator == "=~" else not matched


def alert_rule_action(*, integration, alert: NormalizedAlert) -> str:
    """"drop" or "keep": the first active rule that matches decides; none matching keeps."""
    rules = AlertRule.objects.filter(Q(integration=integration) | Q(integration__isnull=True),
                                     is_active=True)
    for rule in rules:
        if alert_matches(rule.matchers, alert):
            return rule.action
    return AlertRule.Action.KEEP


def alert_silence(*, integration, alert: NormalizedAlert, at) -> Silence | None:
    """The silence or maintenance window covering this alert at `at`, if any."""
    silences = Silence.objects.filter(
        Q(integration=integration) | Q(integration__isnull=True), Silence.candidates_q(at))
    return next((s for s in silences
                 if s.occurrence_end(at) and alert_matches(s.matchers, alert)), None)
