"""Fault: two people change one incident at the same time.

Without a check, the second save writes the values its form was opened with over the first
person's change (a lost update). incident_update now takes the version the editor read
(`updated_at`, see incidents/services/records.py): the web edit form carries it as a hidden
field, the API as ETag / If-Match. A stale version changes nothing: the browser shows the
incident as it is now with a message (409), the API answers 412. Without If-Match the API
keeps working as before: the fields sent are written over the current ones.

Runs on every database.
"""

import re
import time
from collections import Counter

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from opsdesk.accounts.services import api_token_create
from opsdesk.incidents.choices import EventKind
from opsdesk.incidents.models import Incident
from opsdesk.incidents.services import incident_create
from opsdesk.web.forms import EditForm

from .report import record
from .support import Gunicorn, http, in_threads, subprocess_env

VERSION = re.compile(r'name="edit-version" value="(\d+)"')


def _incident(org) -> Incident:
    incident, _ = incident_create(by=org.desk, data={"short_description": "Counter 0",
                                                     "requester": org.requester},
                                  assign={"assignment_group": org.groups["NET2"]})
    return incident


def _browser(user) -> Client:
    client = Client()
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def _form_data(incident, version: str, **changes) -> dict:
    """What the edit form posts: every field as shown (its initial value), some changed."""
    form = EditForm.for_incident(incident)
    data = {}
    for name in EditForm.FIELDS:
        value = form[name].field.prepare_value(form[name].value())
        data[f"edit-{name}"] = "" if value is None else value
    data.update({f"edit-{name}": value for name, value in changes.items()})
    data["edit-version"] = version
    return data


@pytest.mark.django_db
def test_the_second_of_two_browsers_gets_a_conflict_and_sees_the_current_values(org):
    incident = _incident(org)
    desk, engineer = _browser(org.desk), _browser(org.engineer)
    page = reverse("web:incident", args=[incident.number])
    edit = reverse("web:edit", args=[incident.number])
    shown = desk.get(page)
    assert shown.status_code == 200, shown
    (desk_version,) = VERSION.findall(shown.content.decode())
    (engineer_version,) = VERSION.findall(engineer.get(page).content.decode())
    assert desk_version == engineer_version
    opened = Incident.objects.get(pk=incident.pk)  # what both forms show

    saved = desk.post(edit, _form_data(opened, desk_version,
                                       short_description="Printer jams on tray 2"))
    assert saved.status_code == 302
    # The engineer's form still shows the old description; they change the location only.
    stale = engineer.post(edit, _form_data(opened, engineer_version, vendor_reference="",
                                           description="Tried another cable"))
    assert stale.status_code == 409
    html = stale.content.decode()
    assert "Someone else changed this incident after you opened it" in html
    assert "Printer jams on tray 2" in html  # the page shows the incident as it is now
    current = Incident.objects.get(pk=incident.pk)
    assert current.short_description == "Printer jams on tray 2" and current.description == ""
    changes = Counter(current.events.filter(kind=EventKind.FIELD).values_list(
        "field", flat=True))
    assert changes == {"short_description": 1}

    # Reloaded, the engineer's change goes through on top of the desk's.
    (fresh,) = VERSION.findall(engineer.get(page).content.decode())
    assert fresh != engineer_version
    again = engineer.post(edit, _form_data(current, fresh, description="Tried another cable"))
    assert again.status_code == 302
    current.refresh_from_db()
    assert (current.short_description, current.description) == ("Printer jams on tray 2",
                                                                "Tried another cable")


def _increment(url: str, token: str, times: int, answers: Counter) -> None:
    """Add one to the counter in the short description `times` times: GET (ETag), PATCH with
    If-Match; a 412 means someone else went first: read again and retry."""
    headers = {"Authorization": f"Bearer {token}"}
    done = 0
    while done < times:
        current = http("GET", url, headers=headers)
        assert current.status == 200, current.body[:300]
        count = int(current.json["short_description"].split()[-1])
        answer = http("PATCH", url, body={"short_description": f"Counter {count + 1}"},
                      headers={**headers, "If-Match": current.headers["ETag"]})
        answers[answer.status] += 1
        if answer.status == 200:
            done += 1
        else:
            assert answer.status == 412 and answer.json["detail"], answer.body[:300]


@pytest.mark.django_db(transaction=True)
def test_concurrent_api_clients_with_if_match_lose_no_update(reference_data, org):
    incident = _incident(org)
    tokens = [api_token_create(user=user, name="edits")[1]
              for user in (org.desk, org.engineer, org.desk, org.engineer)]
    times, answers = 8, Counter()
    started = time.monotonic()
    with Gunicorn(env=subprocess_env()) as server:
        url = f"{server.url}/api/v1/incidents/{incident.number}"
        in_threads(lambda token: _increment(url, token, times, answers), tokens, threads=4)
        # A stale If-Match is refused with 412 and writes nothing.
        stale = http("PATCH", url, body={"short_description": "Overwritten"},
                     headers={"Authorization": f"Bearer {tokens[0]}", "If-Match": '"1"'})
        # Without If-Match the API writes as before (last write wins, field by field).
        blind = http("PATCH", url, body={"description": "No version sent"},
                     headers={"Authorization": f"Bearer {tokens[1]}"})
    total = times * len(tokens)
    incident.refresh_from_db()
    assert incident.short_description == f"Counter {total}"  # no increment lost
    assert incident.events.filter(kind=EventKind.FIELD,
                                  field="short_description").count() == total
    assert stale.status == 412 and "ETag" in stale.json["detail"]
    assert blind.status == 200 and incident.description == "No version sent"
    record("concurrent_edits", {"clients": len(tokens), "updates": total,
                                "answers": dict(answers),
                                "seconds": round(time.monotonic() - started, 1)})
