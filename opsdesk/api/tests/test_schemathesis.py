"""Schemathesis against our OpenAPI document: no 500s and no answers outside the schema.

The schema is the one /api/v1/openapi.json serves (the NinjaAPI's own); Schemathesis calls the
WSGI application in process, as the desk and as a requester, each with a personal token. Path
parameters are the security tests' world (opsdesk/core/tests/security/world.py) half of the
time, so {number} and the ids reach real records, and Schemathesis' own values the other half.
Examples are bounded (MAX_EXAMPLES generated per operation and role; Schemathesis' coverage
phase, hundreds of boundary cases per operation, is left out) and derandomized: the same cases
on every run, a few minutes at most in CI.
"""

import re

import hypothesis
import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

from opsdesk.api.v1.api import api
from opsdesk.core.tests.security.conftest import world  # noqa: F401  (the module's world)
from opsdesk.core.tests.security.test_matrix_api import OPS

pytestmark = pytest.mark.django_db

MAX_EXAMPLES = 4
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance]

schema = schemathesis.openapi.from_dict(api.get_openapi_schema())
schema.app = get_wsgi_application()

# The world's values for each operation's path parameters, filled in by the `world` fixture.
REAL = {}


def _real_parameters(fmt):
    """{(METHOD, /api/v1 path template): {parameter: value}} from the matrix's concrete paths."""
    found = {}
    for op in OPS:
        if op.note:  # the IDOR rows point at the wrong records on purpose
            continue
        names = re.findall(r"{(\w+)}", op.template)
        pattern = re.escape(op.template)
        for name in names:
            pattern = pattern.replace(re.escape("{" + name + "}"), f"(?P<{name}>[^/?]+)")
        concrete = op.path.format(**fmt).split("?")[0]
        match = re.fullmatch(pattern, concrete)
        if match:
            found[(op.method, "/api/v1" + op.template)] = match.groupdict()
    return found


@schema.hook
def flatmap_path_parameters(context, path_parameters):
    real = REAL.get((context.operation.method.upper(), context.operation.path))
    if not real:
        return st.just(path_parameters)
    return st.sampled_from([{**path_parameters, **real}, path_parameters])


@pytest.fixture(scope="module")
def real_parameters(world):  # noqa: F811
    REAL.update(_real_parameters(world.fmt))
    yield world
    REAL.clear()


@pytest.fixture(autouse=True)
def _connection_kept_open():
    """Django closes the database connection when a WSGI request finishes; the test's own
    transaction lives on it, so keep it open (Django's test client does the same)."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(params=["desk", "requester"])
def token(request, real_parameters):
    return real_parameters.tokens[request.param]


@schema.parametrize()
@hypothesis.settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True,
                     database=None, suppress_health_check=list(hypothesis.HealthCheck),
                     phases=[hypothesis.Phase.generate])
def test_api(case, token):
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)


def test_schema_names_are_unique():
    """Two schemas of one name are one component in the OpenAPI document: the second silently
    replaces the first, and clients read the wrong fields (AttachmentOut of incidents and of
    articles were one; so were two EventOut and two AnswerOut)."""
    import importlib
    import pkgutil

    from ninja import Schema

    import opsdesk.api.v1 as package

    seen = {}
    modules = [importlib.import_module(f"{package.__name__}.{info.name}")
               for info in pkgutil.iter_modules(package.__path__)]
    for module in modules + [importlib.import_module("opsdesk.audit.api")]:
        for name, value in vars(module).items():
            if (isinstance(value, type) and issubclass(value, Schema)
                    and value.__module__ == module.__name__):
                seen.setdefault(name, set()).add(module.__name__)
    clashes = {name: sorted(where) for name, where in seen.items() if len(where) > 1}
    assert not clashes, clashes
