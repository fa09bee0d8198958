"""Model fields shared by the apps: text encrypted at rest."""

from django.apps import apps
from django.core.exceptions import FieldError
from django.db import models

from . import crypto


class EncryptedTextField(models.TextField):
    """Text stored encrypted (core/crypto.py) and read back in clear: for secrets and passwords.

    Python code sees the plaintext; the column holds "fernet:<token>", a new token at every
    save (so equal secrets do not look equal). Values can therefore only be filtered on being
    empty or NULL: any other lookup is refused. An empty string is stored as it is, so
    "no secret" stays visible to the database. `max_length` limits the plaintext.
    """

    ALLOWED_LOOKUPS = frozenset({"exact", "isnull"})

    def from_db_value(self, value, expression, connection):
        return value if value is None else crypto.decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return crypto.encrypt(value) if value else value

    def get_lookup(self, lookup_name):
        if lookup_name not in self.ALLOWED_LOOKUPS:
            return None  # Django then raises FieldError: "Unsupported lookup"
        return super().get_lookup(lookup_name)


@EncryptedTextField.register_lookup
class EncryptedExact(models.lookups.Exact):
    """`field=""` only: a non-empty value would be encrypted anew and never match."""

    def get_prep_lookup(self):
        if self.rhs not in ("", None):
            raise FieldError(f"{self.lhs.target.name} is encrypted: it can only be compared "
                             "with the empty string.")
        return super().get_prep_lookup()


def encrypted_fields() -> list[tuple[type[models.Model], EncryptedTextField]]:
    """Every (model, field) of the installed apps whose column is encrypted."""
    return [(model, field) for model in apps.get_models()
            for field in model._meta.concrete_fields if isinstance(field, EncryptedTextField)]


def encrypted_fields_rotate() -> dict[str, int]:
    """Write every stored secret again with the first key; returns rows per "app.Model.field".

    Legacy plaintexts are encrypted on the way. Raises crypto.DecryptionError, naming nothing
    secret, when a value opens with none of the keys; rows done before stay readable.
    """
    return {f"{model._meta.label}.{field.name}": _rotate(model, field)
            for model, field in encrypted_fields()}


def _rotate(model, field) -> int:
    manager = model._base_manager
    rows = list(manager.exclude(**{field.attname: ""}).exclude(**{f"{field.attname}__isnull": True})
                .values_list("pk", field.attname))
    return sum(manager.filter(pk=pk).update(**{field.attname: plaintext})
               for pk, plaintext in rows)
