from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    name = "opsdesk.surveys"
    label = "surveys"
    verbose_name = _("satisfaction surveys")

    def ready(self) -> None:
        from opsdesk.incidents import hooks

        from .services import survey_after_transition

        hooks.after_transition_add(survey_after_transition)
