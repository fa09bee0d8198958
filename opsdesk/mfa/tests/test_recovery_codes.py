"""Recovery codes at rest: only keyed digests in the database and in backups (the session that
shows new codes keeps them encrypted), found by django-otp like any device, moved from
django-otp's plain `StaticToken`s by the migration."""

import io

import pytest
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import override_settings
from django.utils import translation
from django_otp import DEVICE_ID_SESSION_KEY, devices_for_user
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

from opsdesk.mfa import selectors, services
from opsdesk.mfa.models import RecoveryCode, RecoveryDevice, recovery_code_digest
from opsdesk.mfa.testing.helpers import code_from_secret, secret_on_page, signed_in
from opsdesk.mfa.tests.test_secrets import _database_dump_text

# Codes as they were written down before the migration (lower case, no dash: as stored).
OLD_CODES = ["abcdefghjk", "mnpqrstuvw", "xyz2345678"]


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def stored_digests(user) -> list[str]:
    """The digest column exactly as the database holds it."""
    table = connection.ops.quote_name(RecoveryCode._meta.db_table)
    devices = connection.ops.quote_name(RecoveryDevice._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT c.digest FROM {table} c JOIN {devices} d ON d.id = c.device_id "
                       "WHERE d.user_id = %s", [user.pk])
        return [row[0] for row in cursor.fetchall()]


def plain_forms(codes) -> list[str]:
    """A code as anyone could use it: as typed from the paper, and as it used to be stored."""
    return [form for code in codes for form in (code, services.format_recovery_code(code))]


def codes_on_page(html: str) -> list[str]:
    return [services.normalise(part.split("</code>")[0]) for part in html.split("<code>")[1:]]


@pytest.mark.django_db
def test_the_column_holds_digests_only_and_each_code_works_once(org, enrolled):
    _device, codes = enrolled(org.engineer)
    digests = stored_digests(org.engineer)
    assert len(digests) == 10 and all(len(digest) == 64 for digest in digests)
    for plain in plain_forms(codes):
        assert all(plain not in digest for digest in digests)

    client = signed_in(org.engineer)
    assert client.post("/mfa/verify/", {"code": services.format_recovery_code(codes[3]).upper()}
                       ).status_code == 302
    assert client.get("/work/").status_code == 200
    assert client.get("/mfa/").context["codes_left"] == 9
    assert signed_in(org.engineer).post("/mfa/verify/", {"code": codes[3]}).status_code == 422


@pytest.mark.django_db
def test_a_session_verified_by_a_recovery_code_is_django_otps(org, enrolled):
    _device, codes = enrolled(org.engineer)
    client = signed_in(org.engineer)
    client.post("/mfa/verify/", {"code": codes[0]})
    persistent_id = client.session[DEVICE_ID_SESSION_KEY]
    recovery = selectors.recovery_device_of(org.engineer)
    assert persistent_id == f"mfa.recoverydevice/{recovery.pk}"
    assert Device.from_persistent_id(persistent_id) == recovery
    assert client.get("/work/").status_code == 200  # the gate reads it back on the next page
    assert recovery in list(devices_for_user(org.engineer))


@pytest.mark.django_db
def test_codes_made_before_a_secret_key_change_still_work_from_the_fallbacks(org, enrolled,
                                                                            settings):
    _device, codes = enrolled(org.engineer)
    old_key = settings.SECRET_KEY
    with override_settings(SECRET_KEY="a-new-secret-key-" + "x" * 40,
                           SECRET_KEY_FALLBACKS=[old_key]):
        assert services.code_check(user=org.engineer, code=codes[0]).used_recovery_code
        assert not services.code_check(user=org.engineer, code=codes[0]).used_recovery_code
    assert selectors.recovery_codes_left(org.engineer) == 9


@pytest.mark.django_db(transaction=True)
def test_the_backup_holds_no_plain_recovery_code(reference_data, org, settings, tmp_path):
    """Set up through the pages and leave the codes on screen (their session is in the database
    too), make new ones once, then take a backup."""
    settings.MEDIA_ROOT = tmp_path / "media"
    client = signed_in(org.engineer)
    secret = secret_on_page(client.get("/mfa/").text)
    assert client.post("/mfa/setup/", {"code": code_from_secret(secret)}).status_code == 302
    first = codes_on_page(client.get("/mfa/recovery/").text)
    assert client.post("/mfa/recovery/new/").status_code == 302
    second = codes_on_page(client.get("/mfa/recovery/").text)
    assert len(first) == len(second) == 10

    archive = tmp_path / "backup.tar"
    call_command("backup", output=archive, stdout=io.StringIO())
    dump = _database_dump_text(archive, tmp_path)
    assert all(digest in dump for digest in stored_digests(org.engineer))  # the rows are there
    for plain in plain_forms(first + second):
        assert plain not in dump
    # Session data is signed, not encrypted (base64 of zlib): decoded, it holds no code either.
    sessions = " ".join(str(row.get_decoded()) for row in Session.objects.all())
    assert selectors.NEW_CODES in sessions
    for plain in plain_forms(first + second):
        assert plain not in sessions


# ---- the migration: committed data, read by other code -----------------------------------------

@pytest.mark.django_db(transaction=True)
def test_the_migration_keeps_old_codes_usable_as_digests_only(reference_data, org):
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes("mfa")
    before = [("mfa", "0003_move_totp_devices_encrypted")]
    try:
        executor.migrate(before)
        old = StaticDevice.objects.create(user_id=org.engineer.pk, name="recovery",
                                          confirmed=True)
        StaticToken.objects.bulk_create(StaticToken(device=old, token=c) for c in OLD_CODES)
        MigrationExecutor(connection).migrate(latest)

        assert not StaticToken.objects.exists() and not StaticDevice.objects.exists()
        recovery = RecoveryDevice.objects.get(user=org.engineer)
        assert (recovery.name, recovery.confirmed) == ("recovery", True)
        digests = stored_digests(org.engineer)
        assert sorted(digests) == sorted(
            recovery_code_digest(device_id=recovery.pk, code=c) for c in OLD_CODES)
        assert not any(plain in digest for plain in plain_forms(OLD_CODES) for digest in digests)
        assert selectors.recovery_codes_left(org.engineer) == 3
        check = services.code_check(user=org.engineer, code=services.format_recovery_code(
            OLD_CODES[1]))
        assert check.device == recovery and check.used_recovery_code
        assert services.code_check(user=org.engineer, code=OLD_CODES[1]).device is None
        assert selectors.recovery_codes_left(org.engineer) == 2

        # Back, for a downgrade: the digests cannot become codes again, so none is left.
        MigrationExecutor(connection).migrate(before)
        assert not StaticToken.objects.exists()
    finally:
        MigrationExecutor(connection).migrate(latest)
