"""Move django-otp's TOTP devices (plain secrets) to `Authenticator` (secrets encrypted).

Everything a device holds is copied, so people already enrolled keep their app and its replay
guard; the plain rows are then deleted. Sessions verified by an old device are asked for a code
once more (django-otp no longer finds the device they name). Reversing copies the secrets back
in plain, for a downgrade.
"""

from django.db import migrations

# Every field the two models share besides the primary key.
FIELDS = ("user_id", "name", "confirmed", "throttling_failure_timestamp",
          "throttling_failure_count", "created_at", "last_used_at", "key", "step", "t0",
          "digits", "tolerance", "drift", "last_t")


def _copy(source, target) -> None:
    """Copy every row of `source` into `target` (new primary keys), then empty `source`.

    `created_at` is written by an update: the field's auto_now_add would replace it on insert."""
    for row in source.objects.order_by("pk"):
        copy = target.objects.create(**{field: getattr(row, field) for field in FIELDS})
        target.objects.filter(pk=copy.pk).update(created_at=row.created_at)
    source.objects.all().delete()


def encrypt_devices(apps, schema_editor):
    _copy(apps.get_model("otp_totp", "TOTPDevice"), apps.get_model("mfa", "Authenticator"))


def decrypt_devices(apps, schema_editor):
    _copy(apps.get_model("mfa", "Authenticator"), apps.get_model("otp_totp", "TOTPDevice"))


class Migration(migrations.Migration):

    dependencies = [
        ("mfa", "0002_authenticator_encrypted_secret"),
        ("otp_totp", "0003_add_timestamps"),
    ]

    operations = [migrations.RunPython(encrypt_devices, decrypt_devices)]
