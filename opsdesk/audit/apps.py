from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "opsdesk.audit"
    label = "audit"
    verbose_name = _("audit log")

    def ready(self):
        from django.db.models.signals import post_migrate

        from . import receivers
        from .services import head_ensure

        receivers.connect()
        # After migrate, and after a flush (which empties every table): the chain's head row
        # is there before the first writer needs it. Made lazily by concurrent writers instead,
        # MariaDB deadlocks them (each keeps the shared lock of its duplicate-key check).
        post_migrate.connect(head_ensure, sender=self)
