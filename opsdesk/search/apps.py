from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SearchConfig(AppConfig):
    name = "opsdesk.search"
    label = "search"
    verbose_name = _("search")

    def ready(self):
        # An incident's document carries who may see it; these keep it fresh in the same
        # transaction as an assignment, a hand-back or a new requester. (Creation, edits of the
        # text and resolution re-index the whole document, keys included: services.incident_index.)
        from opsdesk.incidents import hooks

        from .services import on_incident_transition, on_incident_update

        hooks.after_transition_add(on_incident_transition)
        hooks.after_update_add(on_incident_update)
