"""Checking the answers to a request type's form: the same rules for the portal, the desk and
the API. Every message names its field (the field's key), in the reader's language."""

import re
from dataclasses import dataclass, field
from datetime import date

from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import override

from opsdesk.accounts.models import User
from opsdesk.core.exceptions import InvalidInput

from .models import FieldKind, RequestField, parse_options

DEFAULT_MAX_LENGTH = {FieldKind.TEXT: 200, FieldKind.LONG_TEXT: 4000}
LABELLED_USERNAME = re.compile(r".*\(([^()\s]+)\)\s*")


@dataclass
class CheckedAnswers:
    """Answers ready to store (labels frozen) and the uploads still to attach, by field key."""

    entries: list[dict] = field(default_factory=list)
    uploads: dict = field(default_factory=dict)


def answers_check(*, fields: list[RequestField], answers: dict, files: dict | None = None
                  ) -> CheckedAnswers:
    """Check every answer against its field; raise InvalidInput with one message per field.

    `answers` maps field keys to strings (dates as YYYY-MM-DD, people as usernames);
    `files` maps attachment fields to uploaded files. Unknown keys are refused."""
    files = files or {}
    known = {f.key for f in fields}
    errors = {key: _("This form has no field “%(key)s”.") % {"key": key}
              for key in list(answers) + list(files) if key not in known}
    takes_files = {f.key for f in fields if f.kind == FieldKind.ATTACHMENT}
    errors.update({key: _("Only attachment fields take a file; answer this one with text.")
                   for key in files if key in known and key not in takes_files})
    checked = CheckedAnswers()
    for request_field in fields:
        try:
            entry = _check_one(request_field, answers.get(request_field.key),
                               files.get(request_field.key), checked)
        except InvalidInput as error:
            errors[request_field.key] = error.message
            continue
        if entry is not None:
            checked.entries.append(entry)
    if errors:
        raise InvalidInput(_("Some answers are missing or invalid."), errors=errors)
    return checked


def _check_one(request_field: RequestField, value, upload, checked: CheckedAnswers):
    kind = request_field.kind
    if kind == FieldKind.ATTACHMENT:
        if upload is None:
            _require(request_field)
            return None
        checked.uploads[request_field.key] = upload
        return _entry(request_field, value="", display=getattr(upload, "name", ""))
    if value is not None and not isinstance(value, str):
        value = str(value)
    value = (value or "").strip()
    if not value:
        _require(request_field)
        return None
    checker = {FieldKind.TEXT: _text, FieldKind.LONG_TEXT: _text, FieldKind.CHOICE: _choice,
               FieldKind.DATE: _date, FieldKind.USER: _user}[kind]
    return checker(request_field, value)


def _require(request_field: RequestField) -> None:
    if request_field.required:
        raise InvalidInput(_("This answer is required."))


def _text(request_field: RequestField, value: str) -> dict:
    limit = request_field.max_length or DEFAULT_MAX_LENGTH[request_field.kind]
    if len(value) > limit:
        raise InvalidInput(_("Use at most %(limit)d characters (this answer has %(length)d).")
                           % {"limit": limit, "length": len(value)})
    if request_field.regex and not re.fullmatch(request_field.regex, value):
        raise InvalidInput(request_field.regex_message or _(
            "This answer does not have the expected form."))
    return _entry(request_field, value=value, display=value)


def _choice(request_field: RequestField, value: str) -> dict:
    for option, zh, en in parse_options(request_field.options):
        if option == value:
            return _entry(request_field, value=value, display=zh, display_en=en)
    raise InvalidInput(_("Choose one of: %(options)s.") % {
        "options": ", ".join(label for _value, label in request_field.choices)})


def _date(request_field: RequestField, value: str) -> dict:
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(_("Enter a date as YYYY-MM-DD.")) from None
    low, high = request_field.min_date, request_field.max_date
    if low and day < low:
        raise InvalidInput(_("Choose %(date)s or later.") % {"date": formats.date_format(low)})
    if high and day > high:
        raise InvalidInput(_("Choose %(date)s or earlier.") % {
            "date": formats.date_format(high)})
    return _entry(request_field, value=day.isoformat(), display=day.isoformat())


def _user(request_field: RequestField, value: str) -> dict:
    person = person_from_text(value)
    if person is None:
        raise InvalidInput(_("Nobody with the username or email “%(value)s” was found.") % {
            "value": value})
    return _entry(request_field, value=person.username, display=person.label)


def person_from_text(value: str):
    """The active person a typed text names: a username, an email, or "李雷 (li.lei)" as the
    type-ahead shows people; None if nobody."""
    value = (value or "").strip()
    people = User.objects.filter(is_active=True)
    person = people.filter(username=value).first() or (
        people.filter(email__iexact=value).first() if "@" in value else None)
    if person is None and (named := LABELLED_USERNAME.fullmatch(value)):
        person = people.filter(username=named.group(1)).first()
    return person


def _entry(request_field: RequestField, *, value: str, display: str,
           display_en: str | None = None) -> dict:
    """One stored answer: the label and the shown value frozen as they read now."""
    return {"key": request_field.key, "kind": request_field.kind,
            "label_zh": request_field.label_zh, "label_en": request_field.label_en,
            "value": value, "display_zh": display,
            "display_en": display if display_en is None else display_en}


def answers_text(entries: list[dict], *, language: str) -> str:
    """The answers as lines people read (the request's description)."""
    zh = language.lower().startswith("zh")
    with override(language):
        colon = "：" if zh else ": "
        lines = []
        for entry in entries:
            label = (entry["label_zh"] or entry["label_en"]) if zh else \
                (entry["label_en"] or entry["label_zh"])
            shown = entry["display_zh"] if zh else entry["display_en"]
            lines.append(f"{label}{colon}{shown}")
    return "\n".join(lines)
