"""What a page or an answer lets through besides its status: the object-level checks that the
matrices (one status per cell) cannot see. Work notes and internal files never reach the
requester, lists and exports hold only what the caller may see, and no one sees another
person's tokens or saved views."""

import csv
import io

import pytest

from .cells import client_for

pytestmark = pytest.mark.django_db

SECRET = "SECRET-WORK-NOTE"


def browser(world, role):
    return client_for(session=world.sessions[role])


def api(world, role):
    return client_for(token=world.tokens[role])


def test_work_notes_and_internal_files_never_reach_the_requester(world):
    number = world.inc.number
    page = browser(world, "requester").get(f"/incidents/{number}/").content.decode()
    assert SECRET not in page and "internal.txt" not in page
    for path in (f"/incidents/{number}/comments", f"/incidents/{number}/attachments",
                 f"/incidents/{number}/history"):
        body = api(world, "requester").get(f"/api/v1{path}").content.decode()
        assert SECRET not in body and "internal.txt" not in body, path
    staff = browser(world, "engineer").get(f"/incidents/{number}/").content.decode()
    assert SECRET in staff, "the engineer should see the work note (the check above is real)"


def test_lists_and_searches_hold_only_what_the_caller_may_see(world):
    mine, theirs = world.inc.number, world.app_inc.number
    listed = api(world, "other").get("/api/v1/incidents").content.decode()
    assert mine not in listed and theirs not in listed
    found = api(world, "other").get("/api/v1/search", {"q": "VPN"}).content.decode()
    assert mine not in found
    engineer = api(world, "engineer").get("/api/v1/incidents").content.decode()
    assert mine in engineer and theirs not in engineer
    page = browser(world, "other").get("/search/", {"q": "VPN"}).content.decode()
    assert mine not in page


def _csv(response) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return content.decode("utf-8-sig")


def test_exports_hold_only_what_the_caller_may_see(world):
    other = api(world, "other").get("/api/v1/reports/incidents", {"format": "csv"})
    assert other.status_code == 200
    assert world.inc.number not in _csv(other)
    engineer = browser(world, "engineer").get("/reports/export/incidents.csv")
    assert engineer.status_code == 200
    rows = list(csv.reader(io.StringIO(_csv(engineer))))
    numbers = {cell for row in rows for cell in row}
    assert world.inc.number in numbers and world.app_inc.number not in numbers


def test_no_one_sees_another_persons_tokens_or_saved_views(world):
    desk_prefix = world.token_rows["desk"].prefix
    for role in ("requester", "engineer", "manager", "owner"):
        page = browser(world, role).get("/tokens/").content.decode()
        assert desk_prefix not in page, role
    assert desk_prefix in browser(world, "desk").get("/tokens/").content.decode()
    name = world.saved_view.name
    queue = browser(world, "manager").get(f"/work/{world.queue}/").content.decode()
    assert f"/work/views/{world.saved_view.pk}/delete/" not in queue, name
    me = api(world, "requester").get("/api/v1/users/me").json()
    assert me["username"] == "s_requester"


def test_a_revoked_or_made_up_token_is_refused(world):
    from opsdesk.accounts.services import api_token_create, api_token_revoke

    token, secret = api_token_create(user=world.desk, name="to revoke")
    assert client_for(token=secret).get("/api/v1/users/me").status_code == 200
    api_token_revoke(token=token)
    assert client_for(token=secret).get("/api/v1/users/me").status_code == 401
    assert client_for(token="odk_made_up_0123456789").get("/api/v1/incidents").status_code == 401
