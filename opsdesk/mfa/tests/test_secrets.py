"""Authenticator secrets at rest: encrypted in the database and in backups, rotated with the
keys, moved from django-otp's plain table by the migration; a wrong key is reported, not a
silent lock-out."""

import gzip
import io
import subprocess
import tarfile
from base64 import b32encode

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import translation
from django_otp.plugins.otp_totp.models import TOTPDevice as PlainDevice  # before: plain

from opsdesk.core import backup_db
from opsdesk.mfa import checks, services
from opsdesk.mfa.models import Authenticator, CodeThrottle
from opsdesk.mfa.testing.helpers import (
    code_after,
    code_for_key,
    code_from_secret,
    secret_on_page,
    signed_in,
)

KEY_OLD = Fernet.generate_key().decode()
KEY_NEW = Fernet.generate_key().decode()
# RFC 6238's test secret ("12345678901234567890"), in hex as django-otp stores it.
RFC_KEY = "3132333435363738393031323334353637383930"


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def stored_key(device) -> str:
    """The key column exactly as the database holds it."""
    table = connection.ops.quote_name(Authenticator._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {connection.ops.quote_name('key')} FROM {table} WHERE id = %s",
                       [device.pk])
        return cursor.fetchone()[0]


def plain_forms(hex_key: str) -> list[str]:
    """The secret as anyone could use it: hex (django-otp's form) and base32 (the app's)."""
    return [hex_key, b32encode(bytes.fromhex(hex_key)).decode().rstrip("=")]


@pytest.mark.django_db
def test_the_column_holds_no_secret_and_the_apps_code_still_verifies(org, settings):
    settings.OPSDESK_ENCRYPTION_KEYS = [KEY_OLD]
    client = signed_in(org.engineer)
    secret = secret_on_page(client.get("/mfa/").text)
    assert client.post("/mfa/setup/", {"code": code_from_secret(secret)}).status_code == 302
    device = Authenticator.objects.get(user=org.engineer, confirmed=True)
    raw = stored_key(device)
    assert raw.startswith("fernet:")
    for plain in plain_forms(device.key) + [secret.replace(" ", "")]:
        assert plain not in raw
    later = signed_in(org.engineer)
    response = later.post("/mfa/verify/", {"code": code_after(device)})
    assert response.status_code == 302 and later.get("/work/").status_code == 200


@pytest.mark.django_db
def test_rotation_keeps_codes_working_and_the_old_key_can_go(org, enrolled, settings):
    settings.OPSDESK_ENCRYPTION_KEYS = [KEY_OLD]
    device, _codes = enrolled(org.engineer)
    before = stored_key(device)
    settings.OPSDESK_ENCRYPTION_KEYS = f"{KEY_NEW},{KEY_OLD}"  # new key first, old still reads
    out = io.StringIO()
    call_command("opsdesk_rotate_secrets", stdout=out)
    assert "mfa.Authenticator.key: 1 re-encrypted" in out.getvalue()
    assert stored_key(device) != before
    settings.OPSDESK_ENCRYPTION_KEYS = [KEY_NEW]  # the old key removed
    check = services.code_check(user=org.engineer, code=code_after(device))
    assert check.device is not None


@pytest.mark.django_db
def test_a_wrong_key_is_reported_and_recovery_codes_still_work(org, enrolled, settings):
    settings.OPSDESK_ENCRYPTION_KEYS = [KEY_OLD]
    device, codes = enrolled(org.engineer)
    verified = signed_in(org.engineer)
    assert verified.post("/mfa/verify/", {"code": code_after(device)}
                         ).status_code == 302
    settings.OPSDESK_ENCRYPTION_KEYS = [KEY_NEW]  # the old key lost

    assert verified.get("/work/").status_code == 200  # a verified session is not thrown out
    client = signed_in(org.engineer)
    page = client.post("/mfa/verify/", {"code": "123456"})
    assert page.status_code == 503
    assert "cannot read its stored secret" in page.text and "recovery codes" in page.text
    assert CodeThrottle.objects.get(user=org.engineer).failures == 0  # not the person's fault
    assert client.post("/mfa/verify/", {"code": codes[0]}).status_code == 302
    assert client.get("/work/").status_code == 200

    settings_page = signed_in(org.admin).get("/mfa/settings/")
    assert "1 authenticator app cannot be checked" in settings_page.text
    [warning] = checks.secrets_readable_check(None, databases=["default"])
    assert warning.id == "mfa.W001" and "1 authenticator app secret(s)" in warning.msg


@pytest.mark.django_db
def test_the_admin_can_still_reset_an_unreadable_authenticator(org, enrolled, settings):
    settings.OPSDESK_ENCRYPTION_KEYS = [KEY_OLD]
    enrolled(org.engineer)
    settings.OPSDESK_ENCRYPTION_KEYS = [KEY_NEW]
    admin = signed_in(org.admin)
    assert admin.get("/admin/mfa/authenticator/").status_code == 200
    response = admin.post(f"/mfa/settings/users/{org.engineer.pk}/reset/")
    assert response.status_code == 302
    assert not Authenticator.objects.filter(user=org.engineer).exists()
    assert checks.secrets_readable_check(None, databases=["default"]) == []


@pytest.mark.django_db
def test_an_unfinished_setup_with_an_unreadable_secret_starts_again(org, settings):
    settings.OPSDESK_ENCRYPTION_KEYS = [KEY_OLD]
    client = signed_in(org.engineer)
    first = secret_on_page(client.get("/mfa/").text)
    settings.OPSDESK_ENCRYPTION_KEYS = [KEY_NEW]
    page = client.get("/mfa/")
    assert page.status_code == 200
    second = secret_on_page(page.text)
    assert second != first
    assert client.post("/mfa/setup/", {"code": code_from_secret(second)}).status_code == 302


# ---- the migration and the backup: committed data, read by other code and processes ----------

@pytest.mark.django_db(transaction=True)
def test_the_migration_encrypts_a_device_enrolled_before(reference_data, org):
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes("mfa")
    before = [("mfa", "0002_authenticator_encrypted_secret")]
    try:
        executor.migrate(before)
        PlainDevice.objects.create(user_id=org.engineer.pk, name="phone", confirmed=True,
                                   key=RFC_KEY, last_t=7)
        MigrationExecutor(connection).migrate(latest)

        device = Authenticator.objects.get(user=org.engineer)
        assert (device.key, device.last_t, device.confirmed) == (RFC_KEY, 7, True)
        assert RFC_KEY not in stored_key(device)
        assert not PlainDevice.objects.exists()
        code = code_for_key(bytes.fromhex(RFC_KEY))
        assert services.code_check(user=org.engineer, code=code).device == device

        MigrationExecutor(connection).migrate(before)  # and back, for a downgrade
        assert PlainDevice.objects.get(user_id=org.engineer.pk).key == RFC_KEY
    finally:
        MigrationExecutor(connection).migrate(latest)


@pytest.mark.django_db(transaction=True)
def test_the_backup_holds_no_plain_secret(reference_data, org, enrolled, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    device, _codes = enrolled(org.engineer)
    archive = tmp_path / "backup.tar"
    call_command("backup", output=archive, stdout=io.StringIO())
    dump = _database_dump_text(archive, tmp_path)
    assert "fernet:" in dump  # the row is in the dump, encrypted
    for plain in plain_forms(device.key):
        assert plain not in dump


def _database_dump_text(archive, tmp_path) -> str:
    """The archive's database dump as text, whatever the database's dump format."""
    with tarfile.open(archive) as tar:
        [member] = [m for m in tar.getmembers() if m.name.startswith("database/")]
        data = tar.extractfile(member).read()
    if member.name.endswith(".gz"):
        data = gzip.decompress(data)
    elif member.name.endswith(".pgdump"):
        path = tmp_path / "dump.pgdump"
        path.write_bytes(data)
        data = subprocess.run([backup_db.pg_tool("pg_restore"), "-f", "-", str(path)],
                              capture_output=True, check=True).stdout
    return data.decode("utf-8", errors="replace")
