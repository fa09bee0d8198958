"""Encrypt the endpoint secrets saved in clear before the column was encrypted.

Reading a row through the encrypted field gives its plaintext (a value without the "fernet:"
prefix is a legacy plaintext), and writing it back encrypts it. Going back writes the
plaintexts raw again, so the older code can read them.
"""

from django.db import migrations


def encrypt_secrets(apps, schema_editor):
    Endpoint = apps.get_model("notifications", "Endpoint")
    for pk, secret in list(Endpoint.objects.exclude(secret="").values_list("pk", "secret")):
        Endpoint.objects.filter(pk=pk).update(secret=secret)


def decrypt_secrets(apps, schema_editor):
    Endpoint = apps.get_model("notifications", "Endpoint")
    quote = schema_editor.quote_name
    sql = (f"UPDATE {quote(Endpoint._meta.db_table)} SET {quote('secret')} = %s "
           f"WHERE {quote('id')} = %s")
    with schema_editor.connection.cursor() as cursor:
        for pk, secret in list(Endpoint.objects.exclude(secret="").values_list("pk", "secret")):
            cursor.execute(sql, [secret, pk])


class Migration(migrations.Migration):

    dependencies = [
        ("notifications", "0002_endpoint_secret_encrypted"),
    ]

    operations = [
        migrations.RunPython(encrypt_secrets, decrypt_secrets, elidable=False),
    ]
