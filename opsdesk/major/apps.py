from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MajorConfig(AppConfig):
    name = "opsdesk.major"
    label = "major"
    verbose_name = _("major incidents")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from opsdesk.incidents import hooks as incident_hooks

        from . import hooks
        from .criteria import criteria_forget
        from .models import MajorCriteria

        # The declaration rules are read from memory on every create (criteria.py).
        post_save.connect(criteria_forget, sender=MajorCriteria, dispatch_uid="major_rules_save")
        post_delete.connect(criteria_forget, sender=MajorCriteria,
                            dispatch_uid="major_rules_delete")

        incident_hooks.after_create_add(hooks.on_create)
        incident_hooks.after_transition_add(hooks.on_transition)
        incident_hooks.after_update_add(hooks.on_update)
