"""Module-wide worlds: built once per test module in an outer transaction rolled back at the end;
each test's own transaction is a savepoint on top of it."""

import shutil
import tempfile

import pytest
from django.db import connections, transaction
from django.test import override_settings

from .world import build_world


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """The world of world.py, shared by the tests of one module (read-only for them: every test
    runs in a savepoint that rolls its changes back)."""
    media = tempfile.mkdtemp(prefix="opsdesk-sec-")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media):
        outer = [transaction.atomic(using=alias) for alias in connections]
        for block in outer:
            block.__enter__()
        try:
            yield build_world()
        finally:
            for block in reversed(outer):
                transaction.set_rollback(True, using=block.using)
                block.__exit__(None, None, None)
            shutil.rmtree(media, ignore_errors=True)
