"""The data migration encrypts endpoint secrets saved in clear, and going back decrypts them."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from opsdesk.core import crypto
from opsdesk.notifications.models import Endpoint

BEFORE = ("notifications", "0002_endpoint_secret_encrypted")
AFTER = ("notifications", "0003_encrypt_endpoint_secrets")
TABLE = Endpoint._meta.db_table


def migrate(target) -> None:
    executor = MigrationExecutor(connection)
    executor.migrate([target] if isinstance(target, tuple) else target)


def raw_secrets() -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT name_en, secret FROM {connection.ops.quote_name(TABLE)}")
        return dict(cursor.fetchall())


def insert_legacy(name: str, secret: str) -> None:
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {connection.ops.quote_name(TABLE)} (created_at, updated_at, name_zh, "
            "name_en, kind, url, secret, is_active) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
            [now, now, name, name, "webhook", "https://hooks.example/x", secret, True])


@pytest.mark.django_db(transaction=True)
def test_legacy_plaintext_secrets_are_encrypted_by_the_migration():
    leaves = MigrationExecutor(connection).loader.graph.leaf_nodes()
    try:
        migrate(BEFORE)
        insert_legacy("legacy", "whsec-legacy-0123456789")
        insert_legacy("none", "")
        migrate(AFTER)
        raw = raw_secrets()
        assert raw["none"] == ""
        assert crypto.is_encrypted(raw["legacy"]) and "whsec" not in raw["legacy"]
        assert crypto.decrypt(raw["legacy"]) == "whsec-legacy-0123456789"
        migrate(BEFORE)  # going back leaves plaintext the older code can read
        assert raw_secrets() == {"legacy": "whsec-legacy-0123456789", "none": ""}
    finally:
        migrate(leaves)
    assert Endpoint.objects.get(name_en="legacy").secret == "whsec-legacy-0123456789"
