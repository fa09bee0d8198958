"""Move django-otp's recovery codes (`StaticToken`, plain text) to `RecoveryCode` digests.

Each `StaticDevice` becomes a `RecoveryDevice` of the same person, name and state, holding the
keyed digest of each unused code (`models.recovery_code_digest`, keyed from the SECRET_KEY in
force when this runs); the plain rows are then deleted. People keep the codes they wrote down.
A session verified with a recovery code is asked for a code once more (django-otp no longer finds
the device it names).

Reversing cannot give the codes back (only digests exist): it does nothing, and after it the old
code finds no recovery codes, so people make new ones on their multi-factor page.
"""

from django.db import migrations

from opsdesk.mfa.models import recovery_code_digest


def digest_codes(apps, schema_editor):
    static_device = apps.get_model("otp_static", "StaticDevice")
    recovery_device = apps.get_model("mfa", "RecoveryDevice")
    recovery_code = apps.get_model("mfa", "RecoveryCode")
    for old in static_device.objects.order_by("pk"):
        new, _created = recovery_device.objects.get_or_create(
            user_id=old.user_id, name=old.name,
            defaults={"confirmed": old.confirmed, "last_used_at": old.last_used_at})
        recovery_device.objects.filter(pk=new.pk).update(created_at=old.created_at)
        tokens = set(old.token_set.values_list("token", flat=True))
        digests = {recovery_code_digest(device_id=new.pk, code=token) for token in tokens}
        known = set(recovery_code.objects.filter(digest__in=digests)
                    .values_list("digest", flat=True))
        recovery_code.objects.bulk_create(
            recovery_code(device_id=new.pk, digest=digest) for digest in digests - known)
    static_device.objects.all().delete()  # and their StaticTokens with them


class Migration(migrations.Migration):

    dependencies = [
        ("mfa", "0004_recovery_code_digests"),
        ("otp_static", "0003_add_timestamps"),
    ]

    operations = [
        migrations.RunPython(digest_codes, migrations.RunPython.noop,
                             elidable=False),
    ]
