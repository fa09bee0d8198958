"""The master of a major incident is closed only once its post-incident review is approved."""

import pytest
from django.utils import translation

from opsdesk.core.exceptions import Conflict
from opsdesk.incidents.choices import Status
from opsdesk.incidents.services import incident_transition
from opsdesk.reference.models import ClosureCode
from opsdesk.reviews import services

from .conftest import approved, outage, resolve, review_ready


def close(incident, by):
    return incident_transition(incident=incident, action="close", by=by,
                               closure_code=ClosureCode.objects.get(pk="01"))


def test_closing_a_major_master_without_a_review_is_refused_with_a_link(org, major):
    resolve(major, org.manager)
    with translation.override("en"), pytest.raises(Conflict) as error:
        close(major, org.manager)
    message = str(error.value.message)
    assert f"/reviews/{major.number}/" in message and "post-incident review" in message
    major.refresh_from_db()
    assert major.status == Status.RESOLVED


@pytest.mark.parametrize("stage", ["draft", "submitted"])
def test_an_unapproved_review_still_blocks_close_and_confirm(org, major, stage):
    review = review_ready(org, major)
    if stage == "submitted":
        services.review_submit(review=review, by=org.manager)
    resolve(major, org.manager)
    with translation.override("en"), pytest.raises(Conflict) as error:
        close(major, org.manager)
    assert stage in str(error.value.message)
    with pytest.raises(Conflict):  # the requester's confirmation closes too
        incident_transition(incident=major, action="confirm", by=org.requester)
    major.refresh_from_db()
    assert major.status == Status.RESOLVED


def test_the_master_closes_once_the_review_is_approved(org, major):
    approved(org, major)
    resolve(major, org.manager)
    closed = close(major, org.manager)
    assert closed.status == Status.CLOSED


def test_the_requester_confirms_after_approval(org, major):
    approved(org, major)
    resolve(major, org.manager)
    assert incident_transition(incident=major, action="confirm",
                               by=org.requester).status == Status.CLOSED


def test_other_incidents_and_the_children_close_as_before(org, major):
    plain = outage(org)
    resolve(plain, org.desk)
    assert close(plain, org.desk).status == Status.CLOSED
    child = major.children.order_by("pk").first()
    resolve(child, org.desk)
    assert close(child, org.desk).status == Status.CLOSED


def test_a_master_declared_by_mistake_can_still_be_cancelled(org, major):
    cancelled = incident_transition(incident=major, action="cancel", by=org.manager,
                                    reason="Declared on the wrong incident")
    assert cancelled.status == Status.CANCELLED
