"""Idempotent create, session auth with CSRF, attachments, lists and the API documents."""

import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client

from opsdesk.api.tests.conftest import ApiClient
from opsdesk.incidents.models import Incident


def test_idempotency_key_returns_the_first_result(api):
    body = {"short_description": "Disk full on fs01", "requester": "requester"}
    first = api.desk.post("/incidents", body, **{"Idempotency-Key": "abc-1"})
    again = api.desk.post("/incidents", body, **{"Idempotency-Key": "abc-1"})
    assert first.status_code == again.status_code == 201
    assert first.json()["number"] == again.json()["number"]
    assert Incident.objects.count() == 1
    other = api.desk.post("/incidents", {**body, "short_description": "Other"},
                          **{"Idempotency-Key": "abc-1"})
    assert other.status_code == 422 and "Idempotency-Key" in other.json()["errors"]
    assert api.desk.post("/incidents", body, **{"Idempotency-Key": "abc-2"}).status_code == 201
    assert Incident.objects.count() == 2


def test_idempotency_keys_are_per_person(api):
    body = {"short_description": "Same key, different people"}
    a = api.requester.post("/incidents", body, **{"Idempotency-Key": "k"}).json()["number"]
    b = api.colleague.post("/incidents", body, **{"Idempotency-Key": "k"}).json()["number"]
    assert a != b


def test_a_failed_create_does_not_burn_the_key(api):
    bad = {"short_description": "x", "assignment_group": "NET2", "assignee": "desk"}
    assert api.desk.post("/incidents", bad, **{"Idempotency-Key": "retry-me"}).status_code == 422
    good = {"short_description": "x", "assignment_group": "NET2", "assignee": "engineer"}
    r = api.desk.post("/incidents", good, **{"Idempotency-Key": "retry-me"})
    assert r.status_code == 201 and r.json()["assignee"]["code"] == "engineer"


@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_with_one_key_create_one_incident(reference_data, org):
    client = ApiClient(org.desk)
    body = {"short_description": "Concurrent retry", "requester": "requester"}
    results = []

    def send():
        results.append(client.post("/incidents", body, **{"Idempotency-Key": "race"}))
        connection.close()

    threads = [threading.Thread(target=send) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert {r.status_code for r in results} == {201}
    assert len({r.json()["number"] for r in results}) == 1
    assert Incident.objects.count() == 1


def test_session_auth_needs_csrf_for_writes(org):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(org.desk)
    assert browser.get("/api/v1/incidents").status_code == 200
    r = browser.post("/api/v1/incidents", {"short_description": "x"},
                     content_type="application/json")
    assert r.status_code == 403 and "CSRF" in r.json()["detail"]
    browser.get("/portal/")  # a page with a form sets the CSRF cookie
    token = browser.cookies["csrftoken"].value
    r = browser.post("/api/v1/incidents", {"short_description": "x"},
                     content_type="application/json", headers={"X-CSRFToken": token})
    assert r.status_code == 201, r.content


def test_inactive_user_cannot_use_api(api, org):
    org.desk.is_active = False
    org.desk.save()
    assert api.desk.get("/incidents").status_code == 401


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def test_attachments_upload_and_download_with_permission(api, media):
    number = api.requester.post("/incidents", {"short_description": "Screen flickers"}
                                ).json()["number"]
    shot = SimpleUploadedFile("../../etc/故障截图.png", b"\x89PNG\r\n\x1a\n data",
                              content_type="image/png")
    r = api.requester.upload(f"/incidents/{number}/attachments", shot)
    assert r.status_code == 201, r.content
    item = r.json()
    assert item["filename"] == "故障截图.png" and item["size"] == 13
    stored = list(media.rglob("*"))
    assert any(p.is_file() for p in stored)
    assert all("故障" not in p.name and ".." not in str(p) for p in stored)

    download = api.requester.client.get(item["download_url"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"\x89PNG\r\n\x1a\n data"
    assert api.outsider.client.get(item["download_url"]).status_code == 404


def test_html_and_svg_are_always_downloaded(api, media):
    number = api.desk.post("/incidents", {"short_description": "Phishing page",
                                          "requester": "requester"}).json()["number"]
    for name, ctype in (("page.html", "text/html"), ("logo.svg", "image/svg+xml")):
        upload = SimpleUploadedFile(name, b"<script>alert(1)</script>", content_type=ctype)
        item = api.desk.upload(f"/incidents/{number}/attachments", upload).json()
        r = api.desk.client.get(item["download_url"])
        assert r["Content-Disposition"].startswith("attachment")
        assert r["Content-Type"] == "application/octet-stream"
        assert r["X-Content-Type-Options"] == "nosniff"


def test_attachment_limits(api, media, settings):
    settings.OPSDESK_ATTACHMENT_MAX_BYTES = 10
    number = api.desk.post("/incidents", {"short_description": "x", "requester": "requester"}
                           ).json()["number"]
    big = SimpleUploadedFile("big.txt", b"x" * 11, content_type="text/plain")
    r = api.desk.upload(f"/incidents/{number}/attachments", big)
    assert r.status_code == 422 and "file" in r.json()["errors"]
    exe = SimpleUploadedFile("tool.exe", b"MZ", content_type="application/x-msdownload")
    assert api.desk.upload(f"/incidents/{number}/attachments", exe).status_code == 422
    assert api.desk.get(f"/incidents/{number}/attachments").json() == []


def test_internal_attachments_are_hidden_from_the_requester(api, media):
    number = api.requester.post("/incidents", {"short_description": "x"}).json()["number"]
    note = SimpleUploadedFile("trace.txt", b"stack", content_type="text/plain")
    item = api.desk.upload(f"/incidents/{number}/attachments", note,
                           visibility="internal").json()
    assert api.requester.get(f"/incidents/{number}/attachments").json() == []
    assert api.requester.client.get(item["download_url"]).status_code == 404
    events = api.requester.get(f"/incidents/{number}/history").json()
    assert "attachment" not in [e["kind"] for e in events]
    assert "attachment" in [e["kind"] for e in api.desk.get(f"/incidents/{number}/history").json()]


def test_list_filters_and_keyset_pages(api, django_assert_max_num_queries):
    for i in range(7):
        api.desk.post("/incidents", {"short_description": f"Case {i}", "requester": "requester",
                                     "assignment_group": "NET2" if i % 2 else None})
    seen, cursor = [], None
    with django_assert_max_num_queries(12):
        page = api.desk.get("/incidents", limit=3).json()
    while True:
        seen += [i["number"] for i in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
        page = api.desk.get("/incidents", limit=3, cursor=cursor).json()
    assert seen == sorted(seen, reverse=True) and len(seen) == 7
    net2 = api.desk.get("/incidents", group="NET2", status="open").json()["items"]
    assert len(net2) == 3 and all(i["assignment_group"]["code"] == "NET2" for i in net2)
    assert len(api.engineer.get("/incidents").json()["items"]) == 3
    assert api.desk.get("/incidents", q="Case 4").json()["items"][0]["short_description"] == \
        "Case 4"
    assert len(api.desk.get("/incidents", assignee="none").json()["items"]) == 4


def test_openapi_and_docs_are_served(client):
    spec = client.get("/api/v1/openapi.json").json()
    paths = spec["paths"]
    assert "/api/v1/incidents" in paths and "/api/v1/incidents/{number}/actions/{action}" in paths
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200
    page = docs.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in page
    assert "cdn" not in page.lower() and "https://" not in page


def test_reference_data_is_readable(api):
    urgencies = api.requester.get("/reference/urgencies").json()
    assert [u["code"] for u in urgencies] == ["1", "2", "3", "4"]
    assert urgencies[0]["name_zh"] == "十分紧急" and urgencies[0]["name_en"]
    matrix = api.requester.get("/priority-matrix").json()
    assert len(matrix) == 16
    assert {"impact": 1, "urgency": 1, "priority": 1} in matrix
    closure = [c["code"] for c in api.requester.get("/reference/closure-codes").json()]
    assert closure == [f"0{i}" for i in range(1, 10)]
    assert any(c["code"] == "NET.VPN" for c in api.requester.get("/categories").json())
    groups = api.desk.get("/groups").json()
    assert {g["code"]: g["line"] for g in groups}["NET3"] == 3
    me = api.desk.get("/users/me").json()
    assert "desk" in me["roles"] and me["support_groups"] == ["DESK"]
    found = api.desk.get("/users", q="request").json()
    assert [u["username"] for u in found] == ["requester"]
