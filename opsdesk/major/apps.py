from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MajorConfig(AppConfig):
    name = "opsdesk.major"
    label = "major"
    verbose_name = _("major incidents")

    def ready(self) -> None:
        from opsdesk.incidents import hooks as incident_hooks

        from . import hooks

        incident_hooks.after_create_add(hooks.on_create)
        incident_hooks.after_transition_add(hooks.on_transition)
        incident_hooks.after_update_add(hooks.on_update)
