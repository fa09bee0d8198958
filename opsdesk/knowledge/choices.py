"""Code values of the knowledge base."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ArticleType(models.TextChoices):
    SOLUTION = "solution", _("Solution")
    KNOWN_ERROR = "known_error", _("Known error")
    FAQ = "faq", _("FAQ")
    HOWTO = "howto", _("How-to")


class ArticleStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    REVIEW = "review", _("In review")
    PUBLISHED = "published", _("Published")
    RETIRED = "retired", _("Retired")


class RevisionStatus(models.TextChoices):
    """The state of a published article's next revision."""

    DRAFT = "draft", _("New draft")
    REVIEW = "review", _("New draft in review")


class Visibility(models.TextChoices):
    PUBLIC = "public", _("Public (portal)")
    INTERNAL = "internal", _("Internal (staff only)")


class Language(models.TextChoices):
    ZH_HANS = "zh-hans", _("Chinese")
    EN = "en", _("English")


class FeedbackKind(models.TextChoices):
    SOLVED_IT = "solved_it", _("This solved it")
    HELPFUL = "helpful", _("Helpful")
    NOT_HELPFUL = "not_helpful", _("Not helpful")


# Counter column of each feedback kind.
FEEDBACK_COUNTERS = {
    FeedbackKind.SOLVED_IT: "solved_count",
    FeedbackKind.HELPFUL: "helpful_count",
    FeedbackKind.NOT_HELPFUL: "not_helpful_count",
}
