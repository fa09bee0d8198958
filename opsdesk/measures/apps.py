from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MeasuresConfig(AppConfig):
    name = "opsdesk.measures"
    label = "measures"
    verbose_name = _("measures")

    def ready(self):
        from opsdesk.incidents import hooks

        from .rollups import incident_changed

        # Every change of an incident marks its registration day for the KPI rollup.
        hooks.after_create_add(incident_changed)
        hooks.after_transition_add(incident_changed)
        hooks.after_update_add(incident_changed)
        hooks.after_comment_add(incident_changed)
