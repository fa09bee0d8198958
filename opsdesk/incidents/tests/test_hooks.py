"""Apps built on incidents hook into create, transition and comment, inside the same transaction."""

import pytest

from opsdesk.core.exceptions import Conflict
from opsdesk.core.testing.factories import incident_factory
from opsdesk.incidents import hooks
from opsdesk.incidents.choices import Action, Status, Visibility
from opsdesk.incidents.models import Incident
from opsdesk.incidents.services import comment_create, incident_transition, incident_update

pytestmark = pytest.mark.django_db


@pytest.fixture
def seen():
    calls = []
    lists = (hooks._guards, hooks._after_transition, hooks._after_create, hooks._after_comment,
             hooks._after_update)
    saved = [list(h) for h in lists]

    def guard(*, incident, action, by, params):
        calls.append(("guard", action))
        if params.get("reason") == "refuse me":
            raise Conflict("Refused by a hook.")

    hooks.transition_guard_add(guard)
    hooks.after_transition_add(lambda **kw: calls.append(("done", kw["action"], kw["from_status"])))
    hooks.after_create_add(lambda **kw: calls.append(("created", kw["incident"].number)))
    hooks.after_comment_add(lambda **kw: calls.append(("comment", kw["comment"].body)))
    hooks.after_update_add(lambda **kw: calls.append(("update", frozenset(kw["changed"]))))
    yield calls
    for hook_list, old in zip(lists, saved):
        hook_list[:] = old


def test_hooks_see_create_transition_and_comment(org, seen):
    incident = incident_factory(by=org.desk, requester=org.requester)
    assert ("created", incident.number) in seen
    incident_transition(incident=incident, action=Action.START, by=org.desk)
    assert ("guard", Action.START) in seen and ("done", Action.START, Status.LOGGED) in seen
    comment_create(incident=incident, by=org.desk, body="Looking", visibility=Visibility.INTERNAL)
    assert ("comment", "Looking") in seen
    incident_update(incident=incident, by=org.desk, data={"short_description": "VPN is down"})
    assert ("update", frozenset({"short_description"})) in seen


def test_a_guard_refuses_and_nothing_changes(org, seen):
    incident = incident_factory(by=org.desk, requester=org.requester)
    with pytest.raises(Conflict):
        incident_transition(incident=incident, action=Action.CANCEL, by=org.desk,
                            reason="refuse me")
    assert Incident.objects.get(pk=incident.pk).status == Status.LOGGED
