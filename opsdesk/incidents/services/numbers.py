"""Incident numbers: prefix + local date + daily serial, unique and gap-free within a day."""

from datetime import date

from django.db import connection

from ..models import DailySerial


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
