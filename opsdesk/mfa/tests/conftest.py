"""Fixtures of the multi-factor tests: the cached policy starts and ends fresh."""

import pytest


@pytest.fixture(autouse=True)
def _fresh_policy_cache():
    """The policy is cached across requests; a test's policy must not outlive its rollback."""
    from django.core.cache import cache

    from opsdesk.mfa.selectors import POLICY_CACHE_KEY

    cache.delete(POLICY_CACHE_KEY)
    yield
    cache.delete(POLICY_CACHE_KEY)


@pytest.fixture
def enrolled(org):
    """enrolled(user): give the person a confirmed authenticator and recovery codes; returns
    (device, codes)."""
    from opsdesk.mfa import services

    def enrol(user):
        from opsdesk.mfa.testing.helpers import code_of

        device = services.enrolment_device(user=user)
        check, codes = services.enrolment_confirm(user=user, code=code_of(device))
        assert check.device is not None
        device.refresh_from_db()
        return device, codes

    return enrol
