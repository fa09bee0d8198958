"""The fault tests run on every database, except those whose fault only exists on one.

`@pytest.mark.postgres_only(reason)` marks a test of a PostgreSQL fault (the server restarting
under load): on the SQLite and MariaDB runs of the suite it is deselected, not skipped, and
the PostgreSQL run of CI (.ci/run) runs it.
"""

from django.db import connection


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "postgres_only(reason): a PostgreSQL fault; deselected on other databases")


def pytest_collection_modifyitems(config, items):
    if connection.vendor == "postgresql":
        return
    deselected = [item for item in items if item.get_closest_marker("postgres_only")]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if not item.get_closest_marker("postgres_only")]
