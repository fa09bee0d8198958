"""Responses built without pydantic still match the documented OpenAPI schemas exactly."""

from opsdesk.api.v1.incident_schemas import IncidentOut, IncidentPage


def _strict(schema, payload):
    validated = schema.model_validate(payload)
    assert set(payload) == set(schema.model_fields), set(payload) ^ set(schema.model_fields)
    return validated


def test_incident_responses_match_their_schemas(api, org):
    created = api.desk.post("/incidents", {"short_description": "Schema check",
                                           "requester": "requester", "category": "NET.VPN",
                                           "assignment_group": "NET2", "assignee": "engineer",
                                           "collaborators": ["expert"]})
    assert created.status_code == 201
    _strict(IncidentOut, created.json())
    number = created.json()["number"]
    _strict(IncidentOut, api.desk.get(f"/incidents/{number}").json())
    _strict(IncidentOut, api.engineer.post(f"/incidents/{number}/actions/accept").json())
    _strict(IncidentOut, api.desk.patch(f"/incidents/{number}", {"urgency": 1}).json())
    page = api.desk.get("/incidents").json()
    _strict(IncidentPage, page)
    item = page["items"][0]
    assert item["category"] == {"code": "NET.VPN", "name": "VPN/远程接入"}
    assert item["assignment_group"]["code"] == "NET2" and item["assignee"]["code"] == "engineer"
    assert item["priority"] == {"level": 2, "name": "二级"}


def test_names_follow_the_language(api, org):
    api.desk.post("/incidents", {"short_description": "x", "requester": "requester"})
    english = api.desk.client.get("/api/v1/incidents", headers={"Accept-Language": "en"}).json()
    assert english["items"][0]["priority"]["name"] == "P3 Medium"
    assert english["items"][0]["status_label"] == "Logged"
