"""Pytest fixtures for a small organisation with every role (import with `from … import *`)."""

import pytest

from .factories import OrganisationFactory, SupportGroupFactory, UserFactory


@pytest.fixture
def org(db):
    """A department, a 1st-line desk group, 2nd and 3rd-line groups, and one person per role.

    - requester: a plain user; colleague: same department; outsider: another department
    - desk: service-desk agent in DESK; engineer: 2nd line in NET2; expert: 3rd line in NET3
    - other_engineer: 2nd line in APP2 (not NET2); manager, owner (process owner), admin
    """
    dept = OrganisationFactory(code="FIN", name_zh="财务部", name_en="Finance")
    other_dept = OrganisationFactory(code="HR", name_zh="人力资源部", name_en="HR")
    people = {
        "requester": UserFactory(username="requester", department=dept),
        "colleague": UserFactory(username="colleague", department=dept),
        "outsider": UserFactory(username="outsider", department=other_dept),
        "desk": UserFactory(username="desk", is_service_desk=True),
        "engineer": UserFactory(username="engineer", is_engineer=True),
        "expert": UserFactory(username="expert", is_engineer=True),
        "other_engineer": UserFactory(username="other_engineer", is_engineer=True),
        "manager": UserFactory(username="manager", is_incident_manager=True),
        "owner": UserFactory(username="owner", is_process_owner=True),
        "admin": UserFactory(username="admin", is_administrator=True),
    }
    desk_group = SupportGroupFactory(code="DESK", line=1, members=[people["desk"]])
    net3 = SupportGroupFactory(code="NET3", line=3, members=[people["expert"]])
    net2 = SupportGroupFactory(code="NET2", line=2, members=[people["engineer"]],
                               escalation_group=net3)
    app2 = SupportGroupFactory(code="APP2", line=2, members=[people["other_engineer"]])
    groups = {"DESK": desk_group, "NET2": net2, "NET3": net3, "APP2": app2}
    return type("Org", (), {**people, "groups": groups, "dept": dept, "people": people})
