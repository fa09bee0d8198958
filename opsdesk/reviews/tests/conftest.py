"""Fixtures of the review tests: a declared major incident with reports, through the services."""

import pytest

from opsdesk.core.testing.factories import ServiceFactory, UserFactory, incident_factory
from opsdesk.core.testing.fixtures import *  # noqa: F401,F403
from opsdesk.incidents.services import incident_transition
from opsdesk.reference.models import ResolutionCode
from opsdesk.reviews import services

ROOT_CAUSE = "数据库连接池耗尽：新版本的连接没有释放"


def outage(org, *, requester=None, **data):
    """An incident the desk logs for a requester."""
    data.setdefault("short_description", "ERP 无法登录")
    return incident_factory(by=org.desk, requester=requester or org.requester, **data)


@pytest.fixture
def major(org):
    """A declared major incident on the ERP service with two related reports as children."""
    from opsdesk.major.services import major_children_link, major_declare

    erp = ServiceFactory(code="ERP", name_zh="ERP 系统", name_en="ERP")
    master = outage(org, service=erp)
    record = major_declare(incident=master, by=org.manager, reason="ERP down for everyone")
    colleague = outage(org, requester=org.colleague, short_description="ERP 打不开")
    outsider = outage(org, requester=org.outsider, short_description="ERP 登录超时")
    major_children_link(major=record, by=org.manager, children=[colleague, outsider])
    master.refresh_from_db()
    return master


def resolve(incident, by):
    return incident_transition(incident=incident, action="resolve", by=by,
                               resolution="回滚到上一个版本",
                               resolution_code=ResolutionCode.objects.order_by("pk").first())


def review_ready(org, master, *, by=None):
    """A review with everything that submitting needs."""
    by = by or org.manager
    review = services.review_create(incident=master, by=by)
    return services.review_update(review=review, by=by, data={
        "root_cause": ROOT_CAUSE, "lessons_learned": "发布前做连接泄漏压测"})


def approved(org, master):
    review = review_ready(org, master)
    services.review_submit(review=review, by=org.manager)
    return services.review_approve(review=review, by=org.owner)


@pytest.fixture
def action_owner(db):
    return UserFactory(username="dba", display_name="王工", is_engineer=True)
