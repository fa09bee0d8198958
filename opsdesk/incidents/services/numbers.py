"""Incident numbers: prefix + local date + daily serial, unique and gap-free within a day."""

from datetime import date

from django.db import connection

from ..models import DailySerial, Incident


def number_next(*, prefix: str, day: date) -> str:
    """Take the next number for prefix and day. Call inside the transaction that saves the record.

    One upsert creates the day's counter or increments it, and holds the row's write lock until
    the transaction ends: concurrent creators queue behind it, and a rolled-back creation gives
    its number back. So numbers are unique with no gaps. An upsert (rather than "update, else
    insert-ignore") never takes the shared locks that make InnoDB deadlock on a new day.
    """
    table = connection.ops.quote_name(DailySerial._meta.db_table)
    params = [prefix, connection.ops.adapt_datefield_value(day)]
    with connection.cursor() as cursor:
        if connection.vendor == "mysql":
            cursor.execute(
                f"INSERT INTO {table} (prefix, day, last_value) VALUES (%s, %s, 1) "
                "ON DUPLICATE KEY UPDATE last_value = last_value + 1", params)
            cursor.execute(f"SELECT last_value FROM {table} WHERE prefix = %s AND day = %s",
                           params)
        else:  # PostgreSQL and SQLite (3.35+) return the new value from the same statement
            cursor.execute(
                f"INSERT INTO {table} (prefix, day, last_value) VALUES (%s, %s, 1) "
                f"ON CONFLICT (prefix, day) DO UPDATE SET last_value = {table}.last_value + 1 "
                "RETURNING last_value", params)
        value = cursor.fetchone()[0]
    return f"{prefix}{day:%Y%m%d}{value:04d}"


def number_take(*, incident_id: int, prefix: str, day: date) -> str:
    """Take the next number (as number_next) and write it on the incident; return it.

    On PostgreSQL the upsert and the incident's UPDATE are one statement, so the counter row is
    locked for a single round trip before the commit; elsewhere they are two.
    """
    if connection.vendor != "postgresql":
        number = number_next(prefix=prefix, day=day)
        Incident.objects.filter(pk=incident_id).update(number=number)
        return number
    serials = connection.ops.quote_name(DailySerial._meta.db_table)
    incidents = connection.ops.quote_name(Incident._meta.db_table)
    text = f"{prefix}{day:%Y%m%d}"
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH serial AS (INSERT INTO {serials} (prefix, day, last_value) VALUES (%s, %s, 1) "
            f"ON CONFLICT (prefix, day) DO UPDATE SET last_value = {serials}.last_value + 1 "
            "RETURNING last_value) "
            f"UPDATE {incidents} SET number = %s || lpad(serial.last_value::text, "
            "greatest(4, length(serial.last_value::text)), '0') "  # as {:04d}: 10000 stays
            "FROM serial WHERE id = %s RETURNING number",
            [prefix, connection.ops.adapt_datefield_value(day), text, incident_id])
        return cursor.fetchone()[0]
