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
    start = threading.Barrier(runners)
    accepted = []

    def run():
        try:
            start.wait()
            check = services.code_check(user=user, code=code)
            if check.device is not None:
                accepted.append(check.device)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(runners)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return accepted


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
    start = threading.Barrier(4)
    accepted = []

    def run():
        try:
            start.wait()
            if django_otp.verify_token(user, persistent_id, codes[5]) is not None:
                accepted.append(True)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(accepted) == 1
    assert selectors.recovery_codes_left(user) == 9
