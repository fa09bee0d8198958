"""The demo's review: a draft of the demo major incident, written through the services."""

from opsdesk.core.testing.factories import ServiceFactory
from opsdesk.demo.major import major_seed
from opsdesk.demo.reviews import reviews_seed
from opsdesk.reviews.models import PostIncidentReview, ReviewStatus


def test_the_demo_major_incident_has_a_draft_review_once(org):
    ServiceFactory(code="ERP", name_zh="ERP 系统", name_en="ERP")
    assert reviews_seed() == 0  # no major incident yet
    major_seed()
    assert reviews_seed() == 1
    review = PostIncidentReview.objects.get()
    assert review.status == ReviewStatus.DRAFT and "连接池耗尽" in review.root_cause
    assert review.actions.count() == 2 and review.timeline.count() > 20
    assert review.affected_users_count >= 3
    assert reviews_seed() == 0
