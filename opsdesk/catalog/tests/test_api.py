"""The catalogue's REST API: types, ordering, a request's details, approvals."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from opsdesk.api.tests.conftest import ApiClient
from opsdesk.catalog.models import RequestType
from opsdesk.incidents.models import Incident


@pytest.fixture
def api(org, catalog):
    clients = {name: ApiClient(user) for name, user in org.people.items()}
    clients["boss"] = ApiClient(catalog.boss)
    return type("Clients", (), clients)


def order(client, code, answers, **extra):
    headers = {"Accept-Language": "en", **extra.pop("headers", {})}
    return client.post(f"/catalog/request-types/{code}/requests", {"answers": answers, **extra},
                       **headers)


def test_types_list_and_detail_with_fields(api, catalog):
    response = api.requester.get("/catalog/request-types")
    assert response.status_code == 200
    assert [t["code"] for t in response.json()] == ["password-reset", "software", "vpn"]
    detail = api.requester.get("/catalog/request-types/software").json()
    assert detail["needs_approval"] is True
    assert detail["fields"][0]["options"] == [
        {"value": "visio", "label_zh": "Visio 绘图", "label_en": "Visio"},
        {"value": "project", "label_zh": "Project 项目", "label_en": "Project"}]
    assert api.requester.get("/catalog/request-types/nope").status_code == 404


def test_the_types_list_costs_a_fixed_number_of_queries(api, catalog, org):
    for n in range(5):
        RequestType.objects.create(code=f"extra-{n}", name_zh=f"类型{n}", name_en=f"Type {n}",
                                   fulfilment_group=org.groups["APP2"])
    api.requester.get("/catalog/request-types")
    with CaptureQueriesContext(connection) as queries:
        assert api.requester.get("/catalog/request-types").status_code == 200
    assert len(queries) <= 6


def test_order_through_the_api_and_read_it_back(api, catalog):
    response = order(api.requester, "password-reset", {"account": "li.lei"})
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["number"].startswith("SR") and body["status"] == "assigned"
    assert body["answers"][0]["value"] == "li.lei"
    assert Incident.objects.get(number=body["number"]).source_id == "07"
    again = api.requester.get(f"/catalog/requests/{body['number']}")
    assert again.status_code == 200 and again.json()["approval_state"] == "not_needed"


def test_bad_answers_are_422_per_field(api, catalog):
    response = order(api.requester, "password-reset", {"account": "Li Lei", "x": "1"})
    assert response.status_code == 422
    assert response.json()["errors"] == {
        "answers.account": "Lower-case letters and digits only",
        "answers.x": "This form has no field “x”."}
    response = api.requester.post("/catalog/request-types/password-reset/requests",
                                  {"answers": {}, "status": "closed"})
    assert response.status_code == 422 and "status" in response.json()["errors"]
    assert not Incident.objects.exists()


def test_idempotency_key_returns_the_first_request(api, catalog):
    first = order(api.requester, "password-reset", {"account": "li.lei"},
                  headers={"Idempotency-Key": "k1"})
    second = order(api.requester, "password-reset", {"account": "li.lei"},
                   headers={"Idempotency-Key": "k1"})
    assert first.json()["number"] == second.json()["number"]
    assert Incident.objects.count() == 1


def test_a_user_cannot_see_another_users_request(api, catalog):
    number = order(api.requester, "password-reset", {"account": "li.lei"}).json()["number"]
    assert api.colleague.get(f"/catalog/requests/{number}").status_code == 404
    assert api.outsider.get(f"/catalog/requests/{number}").status_code == 404
    assert api.desk.get(f"/catalog/requests/{number}").status_code == 200


def test_approval_through_the_api(api, catalog, org):
    number = order(api.requester, "software", {"software": "visio", "why": "Drawings"}
                   ).json()["number"]
    assert [r["number"] for r in api.boss.get("/catalog/approvals").json()] == [number]
    assert api.requester.get("/catalog/approvals").json() == []
    assert api.requester.post(f"/catalog/requests/{number}/approve").status_code == 403
    assert api.outsider.post(f"/catalog/requests/{number}/approve").status_code == 404
    assert api.desk.post(f"/catalog/requests/{number}/approve").status_code == 403
    response = api.boss.post(f"/catalog/requests/{number}/approve", {"comment": "Fine"})
    assert response.status_code == 200 and response.json()["approval_state"] == "approved"
    incident = Incident.objects.get(number=number)
    assert incident.assignment_group == org.groups["APP2"]
    assert api.boss.post(f"/catalog/requests/{number}/reject",
                         {"comment": "Too late"}).status_code == 409


def test_rejection_needs_a_comment(api, catalog):
    number = order(api.requester, "software", {"software": "visio", "why": "x"}).json()["number"]
    assert api.boss.post(f"/catalog/requests/{number}/reject", {}).status_code == 422
    response = api.boss.post(f"/catalog/requests/{number}/reject", {"comment": "No budget"})
    assert response.json()["status"] == "cancelled"


def test_the_desk_orders_for_a_caller(api, catalog, org):
    response = order(api.desk, "password-reset", {"account": "li.lei"}, requester="requester")
    assert response.status_code == 201
    assert response.json()["requester"]["code"] == "requester"
    denied = order(api.colleague, "password-reset", {"account": "li.lei"},
                   requester="requester")
    assert denied.status_code == 403


def multipart(client, code, answers, files, **extra):
    """POST multipart/form-data as a script would: answers as JSON, files by field key."""
    data = {"answers": answers if isinstance(answers, str) else json.dumps(answers),
            **files, **extra}
    return client.client.post(f"/api/v1/catalog/request-types/{code}/requests", data,
                              headers={"Accept-Language": "en"})


def pdf(name="form.pdf"):
    return SimpleUploadedFile(name, b"%PDF-1.4 signed", content_type="application/pdf")


def test_order_with_a_file_in_one_multipart_call(api, catalog, org):
    catalog.vpn.fields.filter(key="form").update(required=True)
    response = multipart(api.requester, "vpn", {"start": "2026-05-01", "deputy": "colleague"},
                         {"form": pdf()})
    assert response.status_code == 201, response.json()
    body = response.json()
    incident = Incident.objects.get(number=body["number"])
    attachment = incident.attachments.get()
    assert attachment.filename == "form.pdf"
    assert body["answers"][-1] == {**body["answers"][-1], "key": "form",
                                   "value": str(attachment.pk), "display_en": "form.pdf"}
    assert body["approval_state"] == "pending"


def test_a_required_file_missing_from_the_json_order_is_named(api, catalog):
    catalog.vpn.fields.filter(key="form").update(required=True)
    response = order(api.requester, "vpn", {"start": "2026-05-01"})
    assert response.status_code == 422
    assert response.json()["errors"] == {"answers.form": "This answer is required."}


def test_the_desk_orders_with_a_file_for_a_caller(api, catalog, org):
    response = multipart(api.desk, "vpn", {"start": "2026-05-01"}, {"form": pdf()},
                         requester="requester", contact_phone="8123")
    assert response.status_code == 201, response.json()
    incident = Incident.objects.get(number=response.json()["number"])
    assert incident.requester == org.requester and incident.contact_phone == "8123"


@pytest.mark.parametrize(("answers", "files", "extra", "field", "message"), [
    ("{not json", {}, {}, "answers", "Send the answers as a JSON object"),
    ({"start": "2026-05-01"}, {"deputy": "FILE"}, {}, "answers.deputy",
     "Only attachment fields take a file"),
    ({"start": "2026-05-01"}, {"scan": "FILE"}, {}, "answers.scan",
     "This form has no field “scan”."),
    ({"start": "2026-05-01"}, {}, {"start": "2026-05-01"}, "start",
     "Send answers inside the JSON of “answers”"),
    ({"start": 20260501}, {}, {}, "answers.start", "valid string"),
    ({"start": "2026-05-01"}, {"form": "EXE"}, {}, "answers.form", "not accepted"),
])
def test_bad_multipart_orders_are_422_and_nothing_is_kept(api, catalog, answers, files, extra,
                                                          field, message):
    uploads = {name: (pdf() if kind == "FILE" else SimpleUploadedFile(
        "run.exe", b"MZ", content_type="application/x-msdownload"))
        for name, kind in files.items()}
    response = multipart(api.requester, "vpn", answers, uploads, **extra)
    assert response.status_code == 422
    assert message in response.json()["errors"][field]
    assert not Incident.objects.exists()


def test_a_multipart_retry_with_the_same_key_returns_the_first_request(api, catalog):
    headers = {"HTTP_IDEMPOTENCY_KEY": "upload-1"}
    first = api.requester.client.post("/api/v1/catalog/request-types/vpn/requests", {
        "answers": json.dumps({"start": "2026-05-01"}), "form": pdf()}, **headers)
    again = api.requester.client.post("/api/v1/catalog/request-types/vpn/requests", {
        "answers": json.dumps({"start": "2026-05-01"}), "form": pdf()}, **headers)
    assert first.status_code == 201 and again.status_code == 201
    assert first.json()["number"] == again.json()["number"]
    assert Incident.objects.count() == 1


def test_the_schema_documents_both_bodies(api):
    schema = api.requester.client.get("/api/v1/openapi.json").json()
    body = schema["paths"]["/api/v1/catalog/request-types/{code}/requests"]["post"][
        "requestBody"]["content"]
    assert set(body) == {"application/json", "multipart/form-data"}
    assert "answers" in body["application/json"]["schema"]["properties"]
