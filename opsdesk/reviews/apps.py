from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReviewsConfig(AppConfig):
    name = "opsdesk.reviews"
    label = "reviews"
    verbose_name = _("post-incident reviews")

    def ready(self):
        from opsdesk.incidents.hooks import transition_guard_add

        from .guards import review_required_guard

        transition_guard_add(review_required_guard)
