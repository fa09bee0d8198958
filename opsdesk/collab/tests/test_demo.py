"""The demo's collaboration: tasks on open incidents (one overdue), a mention, a handover."""

from opsdesk.collab.models import Handover, IncidentTask, Mention
from opsdesk.demo.collab import collab_seed
from opsdesk.demo.services import demo_company_create


def test_the_demo_gets_tasks_a_mention_and_a_handover_once(db):
    demo_company_create(incidents=60, seed=7)  # seeds the collaboration too
    assert IncidentTask.objects.count() >= 3
    assert IncidentTask.objects.filter(status="in_progress").exists()
    assert any(t.is_overdue for t in IncidentTask.objects.all())
    assert Mention.objects.filter(user__username="desk").exists()
    handover = Handover.objects.get()
    assert handover.items.exists() and handover.acknowledged_at is None
    assert collab_seed() == 0  # once only
