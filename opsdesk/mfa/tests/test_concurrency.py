"""Two requests racing with the same code: the person's throttle row makes them take turns, so
exactly one wins (a TOTP code and a recovery code alike). A recovery code is also taken once
without that lock, through django-otp's own check: deleting its row is the check."""

import threading

import django_otp
import pytest
from django.db import connection

from opsdesk.core.testing.factories import UserFactory
from opsdesk.mfa import selectors, services
from opsdesk.mfa.testing.helpers import code_after, code_of


def race(user, code: str, runners: int = 4) -> list:
    """Check `code` from several threads at once; returns the devices that accepted it."""
    return [device for device in race_with(
        lambda: services.code_check(user=user, code=code).device, runners) if device is not None]


def race_with(check, runners: int = 4) -> list:
    """Run check() from `runners` threads that start together; returns what each returned."""
    start = threading.Barrier(runners)
    results = []

    def run():
        try:
            start.wait()
            results.append(check())
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(runners)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.mark.django_db(transaction=True)
def test_one_code_sent_by_racing_requests_is_taken_once(reference_data):
    user = UserFactory(username="racer", is_service_desk=True)
    device = services.enrolment_device(user=user)
    _check, codes = services.enrolment_confirm(user=user, code=code_of(device))
    device.refresh_from_db()

    assert len(race(user, code_after(device))) == 1
    assert len(race(user, codes[0])) == 1


@pytest.mark.django_db(transaction=True)
def test_a_recovery_code_checked_by_django_otp_alone_is_taken_once(reference_data):
    user = UserFactory(username="racer2", is_service_desk=True)
    device = services.enrolment_device(user=user)
    _check, codes = services.enrolment_confirm(user=user, code=code_of(device))
    persistent_id = selectors.recovery_device_of(user).persistent_id
    accepted = [device for device in race_with(
        lambda: django_otp.verify_token(user, persistent_id, codes[5])) if device is not None]
    assert len(accepted) == 1
    assert selectors.recovery_codes_left(user) == 9
