"""EncryptedTextField: ciphertext in the column, plaintext in Python, key rotation, wrong keys."""

import io

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.exceptions import FieldError, ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import translation

from opsdesk.core import crypto
from opsdesk.core.fields import encrypted_fields, encrypted_fields_rotate
from opsdesk.notifications.models import Endpoint

pytestmark = pytest.mark.django_db
SECRET = "SEC0123456789abcdef-钉钉加签-secret"
KEY_OLD, KEY_NEW, KEY_OTHER = (Fernet.generate_key() for _ in range(3))


def robot(secret: str = SECRET) -> Endpoint:
    return Endpoint.objects.create(kind="dingtalk", url="https://oapi.example/robot/send",
                                   secret=secret, name_zh="运维群", name_en="Ops")


def stored(endpoint: Endpoint) -> str:
    """The column's value as the database holds it, read past the ORM."""
    table = connection.ops.quote_name(Endpoint._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT secret FROM {table} WHERE id = %s", [endpoint.pk])
        return cursor.fetchone()[0]


def opens_with(key: bytes, value: str) -> bool:
    try:
        Fernet(key).decrypt(value.removeprefix(crypto.PREFIX).encode())
    except InvalidToken:
        return False
    return True


def test_the_column_holds_no_plaintext_and_python_sees_the_secret(settings):
    settings.OPSDESK_ENCRYPTION_KEYS = [KEY_OLD.decode()]
    endpoint = robot()
    raw = stored(endpoint)
    assert raw.startswith("fernet:") and SECRET not in raw and "SEC0123" not in raw
    assert opens_with(KEY_OLD, raw)
    assert Endpoint.objects.get(pk=endpoint.pk).secret == SECRET
    assert Endpoint.objects.values_list("secret", flat=True).get(pk=endpoint.pk) == SECRET


def test_each_save_makes_a_new_token_and_empty_stays_empty():
    first, second = robot(), robot()
    assert stored(first) != stored(second)  # equal secrets do not look equal
    empty = robot(secret="")
    assert stored(empty) == "" and Endpoint.objects.get(pk=empty.pk).secret == ""
    assert list(Endpoint.objects.filter(secret="")) == [empty]


def test_without_keys_a_key_derived_from_secret_key_encrypts(settings):
    settings.OPSDESK_ENCRYPTION_KEYS = []
    endpoint = robot()
    assert opens_with(crypto.derive_key(settings.SECRET_KEY), stored(endpoint))
    settings.OPSDESK_ENCRYPTION_KEYS = [KEY_NEW.decode()]  # switching to explicit keys
    assert Endpoint.objects.get(pk=endpoint.pk).secret == SECRET  # still readable


def test_rotation_with_two_keys(settings):
    settings.OPSDESK_ENCRYPTION_KEYS = [KEY_OLD.decode()]
    endpoint, empty = robot(), robot(secret="")
    settings.OPSDESK_ENCRYPTION_KEYS = f"{KEY_NEW.decode()},{KEY_OLD.decode()}"
    assert Endpoint.objects.get(pk=endpoint.pk).secret == SECRET  # the old key still decrypts
    assert opens_with(KEY_OLD, stored(endpoint)) and not opens_with(KEY_NEW, stored(endpoint))
    call_command("opsdesk_rotate_secrets", stdout=io.StringIO())
    assert opens_with(KEY_NEW, stored(endpoint)) and not opens_with(KEY_OLD, stored(endpoint))
    assert stored(empty) == ""
    settings.OPSDESK_ENCRYPTION_KEYS = [KEY_NEW.decode()]  # the old key can go now
    assert Endpoint.objects.get(pk=endpoint.pk).secret == SECRET


def test_rotation_also_encrypts_a_legacy_plaintext(settings):
    settings.OPSDESK_ENCRYPTION_KEYS = [KEY_NEW.decode()]
    endpoint = robot()
    table = connection.ops.quote_name(Endpoint._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET secret = %s WHERE id = %s",
                       ["legacy-clear", endpoint.pk])
    assert Endpoint.objects.get(pk=endpoint.pk).secret == "legacy-clear"  # recognised as plain
    assert encrypted_fields_rotate()["notifications.Endpoint.secret"] == 1
    assert opens_with(KEY_NEW, stored(endpoint))
    assert Endpoint.objects.get(pk=endpoint.pk).secret == "legacy-clear"


def test_a_wrong_key_is_a_clear_error_not_garbage(settings):
    settings.OPSDESK_ENCRYPTION_KEYS = [KEY_OLD.decode()]
    endpoint = robot()
    settings.OPSDESK_ENCRYPTION_KEYS = [KEY_OTHER.decode()]
    with pytest.raises(crypto.DecryptionError, match="OPSDESK_ENCRYPTION_KEYS"):
        Endpoint.objects.get(pk=endpoint.pk)
    with pytest.raises(CommandError, match="cannot be decrypted"), translation.override("en"):
        call_command("opsdesk_rotate_secrets")


def test_a_malformed_key_names_its_position(settings):
    settings.OPSDESK_ENCRYPTION_KEYS = [KEY_NEW.decode(), "not-a-fernet-key"]
    with pytest.raises(ImproperlyConfigured, match="key 2 is not a Fernet key"):
        robot()


def test_only_empty_and_null_lookups_are_allowed():
    robot()
    with pytest.raises(FieldError):
        list(Endpoint.objects.filter(secret__icontains="SEC"))
    with pytest.raises(FieldError, match="only be compared with the empty string"):
        list(Endpoint.objects.filter(secret=SECRET))
    assert Endpoint.objects.exclude(secret="").count() == 1


def test_the_registry_finds_every_encrypted_field():
    names = {f"{model._meta.label}.{field.name}" for model, field in encrypted_fields()}
    assert "notifications.Endpoint.secret" in names
