from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CollabConfig(AppConfig):
    name = "opsdesk.collab"
    label = "collab"
    verbose_name = _("collaboration")

    def ready(self):
        from opsdesk.incidents import hooks

        from .selectors import incidents_with_my_open_tasks
        from .services import mentions_after_comment, tasks_after_transition, tasks_guard

        hooks.transition_guard_add(tasks_guard)
        hooks.after_transition_add(tasks_after_transition)
        hooks.after_comment_add(mentions_after_comment)
        hooks.visibility_q_add(incidents_with_my_open_tasks)
