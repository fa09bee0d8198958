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


@pytest.fixture(autouse=True)
def _steady_mfa_policy_cache(monkeypatch):
    """The MFA policy is cached for 30 s (the bound on how stale another process may be).

    Inside one test its expiry only adds a query at a random moment, which made the query
    budgets of staff pages flaky; saving the policy clears the cache, so a change still takes
    effect at once. Each test starts without a cached policy (its data rolls back).
    """
    from django.core.cache import cache

    from opsdesk.mfa import selectors

    monkeypatch.setattr(selectors, "POLICY_CACHE_SECONDS", 24 * 3600)
    cache.delete(selectors.POLICY_CACHE_KEY)
    yield
    cache.delete(selectors.POLICY_CACHE_KEY)


@pytest.fixture
def reference_data(transactional_db):
    """For transactional tests, whose flush empties the tables: load the defaults again."""
    from opsdesk.reference.services import reference_load_defaults

    reference_load_defaults()


from opsdesk.core.testing.fixtures import org  # noqa: E402,F401  (shared fixture)
