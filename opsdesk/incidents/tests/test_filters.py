"""List parameters: parsed from text, resolved to ids, and a queue narrowed by a person's choices."""

from datetime import UTC, datetime

import pytest
from django.http import QueryDict
from django.utils import timezone

from opsdesk.core.exceptions import InvalidInput
from opsdesk.incidents.choices import OPEN_STATUSES, Status
from opsdesk.incidents.filters import (
    NO_STATUS,
    filters_from_query,
    filters_narrow,
    query_from_params,
)
from opsdesk.incidents.selectors import IncidentFilters


def resolve(user, text: str) -> IncidentFilters:
    return filters_from_query(query=query_from_params(QueryDict(text)), user=user)


def test_text_parameters_mean_what_the_api_parameters_mean(org):
    f = resolve(org.engineer, "status=open&priority=1,2&group=NET2&assignee=me&reopened=1"
                              "&stale_hours=24&q=+vpn+&created_after=2026-11-25")
    assert f.statuses == list(OPEN_STATUSES) and f.priorities == [1, 2]
    assert f.group_ids == [org.groups["NET2"].pk] and f.assignee_id == org.engineer.pk
    assert f.reopened is True and f.stale_hours == 24 and f.text == "vpn"
    assert f.created_after == timezone.make_aware(datetime(2026, 11, 25))
    assert resolve(org.desk, "assignee=none").unassigned is True
    assert resolve(org.desk, "assignee=engineer").assignee_id == org.engineer.pk
    assert resolve(org.desk, "updated_before=2026-11-25T10:00:00%2B00:00").updated_before == \
        datetime(2026, 11, 25, 10, tzinfo=UTC)


@pytest.mark.parametrize("text, param", [
    ("priority=high", "priority"), ("created_after=yesterday", "created_after"),
    ("reopened=perhaps", "reopened"), ("stale_hours=-3", "stale_hours"),
    ("stale_hours=0", "stale_hours"), ("group=NOPE", "group"), ("status=sleeping", "status"),
    ("assignee=ghost", "assignee"), ("service=NOPE", "service"),
])
def test_bad_values_name_the_parameter(org, text, param):
    with pytest.raises(InvalidInput) as caught:
        resolve(org.desk, text)
    assert param in caught.value.errors


def test_narrowing_keeps_what_both_allow(org):
    queue = IncidentFilters(statuses=list(OPEN_STATUSES), group_ids=[1, 2])
    both = filters_narrow(base=queue, extra=IncidentFilters(statuses=[Status.PENDING, 40],
                                                            group_ids=[2], reopened=True))
    assert both.statuses == [Status.PENDING] and both.group_ids == [2] and both.reopened
    nothing = filters_narrow(base=queue, extra=IncidentFilters(statuses=[Status.CLOSED]))
    assert nothing.statuses == [NO_STATUS]
    mine = IncidentFilters(assignee_id=org.engineer.pk)
    assert filters_narrow(base=mine, extra=IncidentFilters(assignee_id=org.desk.pk)).statuses == \
        [NO_STATUS]
    assert filters_narrow(base=mine, extra=IncidentFilters(text="vpn")).text == "vpn"
