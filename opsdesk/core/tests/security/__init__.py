"""The security test suite (issue 9), run in CI with the rest.

- test_matrix_web.py / test_matrix_api.py: the authorization matrix, every URL pattern and every
  API operation × every role, one request a cell; a new URL or operation fails until it has a row.
- test_leaks.py: object-level checks a status cannot show (work notes, lists, exports, tokens).
- test_injection.py: the payloads of opsdesk/core/testing/payloads.py through every way in,
  checked to come out inert (inert.py).
- opsdesk/api/tests/test_schemathesis.py: Schemathesis against the OpenAPI document.

world.py builds the records they all use, once per module (conftest.py).
"""
