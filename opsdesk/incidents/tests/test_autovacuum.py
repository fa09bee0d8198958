"""On PostgreSQL the incident table is vacuumed after every thousand changed or new rows, so the
queues' counts stay index-only; other databases have nothing to set."""

from django.db import connection


def test_incident_table_is_vacuumed_after_a_thousand_rows(db):
    if connection.vendor != "postgresql":
        assert connection.vendor in ("sqlite", "mysql")  # no per-table autovacuum to set
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = 'incidents_incident'")
        options = set(cursor.fetchone()[0])
    assert {"autovacuum_vacuum_scale_factor=0", "autovacuum_vacuum_threshold=1000",
            "autovacuum_vacuum_insert_scale_factor=0",
            "autovacuum_vacuum_insert_threshold=1000"} <= options
