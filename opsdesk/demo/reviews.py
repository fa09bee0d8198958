"""The demo company's post-incident review: the ERP outage's review, started and being written.

The incident manager started the review of the demo major incident (opsdesk/demo/major.py)
while the outage is still being run: the impact and the timeline are prefilled from what was
recorded, the root cause is drafted and two follow-up actions have owners and due dates. It is
a draft, so the master cannot be closed until someone completes, submits and approves it.
Everything goes through opsdesk.reviews' services. Safe to run again: nothing is added once
the review exists. Call `reviews_seed()` after `major_seed()`.
"""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from opsdesk.accounts.models import User
from opsdesk.major.models import MajorIncident, MajorState
from opsdesk.reviews import services
from opsdesk.reviews.models import PostIncidentReview

ROOT_CAUSE = ("ERP 数据库主库磁盘 I/O 饱和导致连接堆积，连接池耗尽，应用无法建立新会话。"
              "触发原因：月末结账批处理与备份任务同时运行。\n"
              "The ERP primary database's disk I/O saturated during month-end batch jobs that "
              "overlapped with the backup; connections piled up and the pool ran dry.")
LESSONS = ("1. 备份窗口与结账批处理错开。\n2. 连接池使用率超过 80% 时告警。\n"
           "3. 备库切换演练每季度一次，切换步骤写入知识库。")
ACTIONS = [
    ("dengli", 14, "调整备份计划，避开月末结账批处理窗口 / Move the backup window away from "
                   "month-end batch jobs"),
    ("peter.zhao", 30, "为 ERP 连接池使用率增加 80% 告警 / Alert when the ERP connection pool "
                       "is 80 % used"),
]


def reviews_seed() -> int:
    """A draft review of the demo's declared major incident; returns the reviews created (0/1)."""
    major = (MajorIncident.objects.select_related("incident")
             .filter(state=MajorState.DECLARED, incident__review__isnull=True)
             .order_by("pk").first())
    manager = User.objects.filter(username="manager", is_active=True).first()
    if major is None or manager is None or PostIncidentReview.objects.exists():
        return 0
    with transaction.atomic():
        review = services.review_create(incident=major.incident, by=manager)
        services.review_update(review=review, by=manager, data={
            "root_cause": ROOT_CAUSE, "lessons_learned": LESSONS})
        today = timezone.localdate()
        for username, days, text in ACTIONS:
            owner = User.objects.filter(username=username, is_active=True).first() or manager
            services.review_action_add(review=review, by=manager, text=text, owner=owner,
                                       due_on=today + timedelta(days=days))
    return 1
