"""Suite-wide pytest setup: reference data in every test database."""

import pytest


def pytest_configure(config):
    """Fast password hashing in tests: the real hasher costs ~0.3 s per user."""
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Load the default code tables once; each test's transaction rolls back on top of them."""
    from opsdesk.reference.services import reference_load_defaults

    with django_db_blocker.unblock():
        reference_load_defaults()


@pytest.fixture(autouse=True)
def _fresh_lookups():
    """Rows cached in memory belong to one test: each test's data rolls back."""
    from opsdesk.core import lookups

    lookups.clear()
    yield
    lookups.clear()


@pytest.fixture
def reference_data(transactional_db):
    """For transactional tests, whose flush empties the tables: load the defaults again."""
    from opsdesk.reference.services import reference_load_defaults

    reference_load_defaults()


from opsdesk.core.testing.fixtures import org  # noqa: E402,F401  (shared fixture)
