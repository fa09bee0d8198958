"""Fast JSON responses for the hot endpoints."""

import json

from django.http import HttpResponse
from ninja.responses import NinjaJSONEncoder


def json_response(data, status: int = 200) -> HttpResponse:
    """Our dicts as JSON, without pydantic validating them a second time.

    Validating a page of 50 incidents costs more than the database work; the dicts are built in
    one place (incident_output.py) and tests check them against the documented schemas.
    """
    return HttpResponse(json.dumps(data, cls=NinjaJSONEncoder), status=status,
                        content_type="application/json; charset=utf-8")
