"""API test helpers: a client per role that sends a real Bearer token."""

import json

import pytest
from django.test import Client

from opsdesk.accounts.services import api_token_create


class ApiClient:
    """Talks JSON to /api/v1 as one person, with their personal token."""

    def __init__(self, user):
        self.user = user
        _token, self.secret = api_token_create(user=user, name="tests")
        self.client = Client(HTTP_AUTHORIZATION=f"Bearer {self.secret}")

    def _send(self, method, path, body=None, **headers):
        kwargs = {"content_type": "application/json"} if body is not None else {}
        if body is not None:
            kwargs["data"] = body if isinstance(body, str) else json.dumps(body)
        return getattr(self.client, method)(f"/api/v1{path}", headers=headers, **kwargs)

    def get(self, path, **params):
        return self.client.get(f"/api/v1{path}", params)

    def post(self, path, body=None, **headers):
        return self._send("post", path, body if body is not None else {}, **headers)

    def patch(self, path, body, **headers):
        return self._send("patch", path, body, **headers)

    def put(self, path, body, **headers):
        return self._send("put", path, body, **headers)

    def delete(self, path):
        return self.client.delete(f"/api/v1{path}")

    def upload(self, path, upload, **data):
        return self.client.post(f"/api/v1{path}", {"file": upload, **data})


@pytest.fixture
def api(org):
    """api.desk, api.engineer, … : one token-authenticated client per person of `org`."""
    return type("Clients", (), {name: ApiClient(user) for name, user in org.people.items()})
