"""Forms of the knowledge pages: they collect input; opsdesk.knowledge.services decides."""

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from opsdesk.cmdb.models import ConfigurationItem, Service
from opsdesk.knowledge.choices import ArticleType, FeedbackKind, Language, Visibility
from opsdesk.reference.models import Category

STAFF = (Q(is_service_desk=True) | Q(is_engineer=True) | Q(is_incident_manager=True)
         | Q(is_process_owner=True) | Q(is_superuser=True))


class ArticleForm(forms.Form):
    """The editor: Markdown text with a live preview, and the article's facts."""

    title = forms.CharField(label=_("Title"), max_length=200)
    type = forms.ChoiceField(label=_("Type"), choices=ArticleType.choices)
    body = forms.CharField(label=_("Text (Markdown)"), required=False, max_length=100_000,
                           widget=forms.Textarea(attrs={"rows": 18, "class": "kb-source"}),
                           help_text=_("# heading, **bold**, - list, 1. steps, [link](https://…)"))
    workaround = forms.CharField(label=_("Workaround"), required=False, max_length=20_000,
                                 widget=forms.Textarea(attrs={"rows": 4}),
                                 help_text=_("Needed for a known error."))
    problem_reference = forms.CharField(label=_("Problem reference"), required=False,
                                        max_length=40)
    keywords = forms.CharField(label=_("Keywords"), required=False, max_length=500,
                               help_text=_("Words people search for, e.g. 打印机 卡纸 printer"))
    language = forms.ChoiceField(label=_("Language"), choices=Language.choices)
    visibility = forms.ChoiceField(label=_("Visibility"), choices=Visibility.choices)
    category = forms.ModelChoiceField(label=_("Category"), required=False,
                                      queryset=Category.objects.filter(is_active=True))
    service = forms.ModelChoiceField(label=_("Service"), required=False,
                                     queryset=Service.objects.filter(is_active=True))
    configuration_items = forms.ModelMultipleChoiceField(
        label=_("Configuration items"), required=False,
        queryset=ConfigurationItem.objects.filter(is_active=True).order_by("name"))
    reviewer = forms.ModelChoiceField(label=_("Reviewer"), required=False,
                                      help_text=_("Empty: the process owner reviews."),
                                      queryset=get_user_model().objects.none())
    note = forms.CharField(label=_("What changed"), required=False, max_length=300)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reviewer"].queryset = get_user_model().objects.filter(
            STAFF, is_active=True).order_by("username")

    @classmethod
    def for_article(cls, article):
        """The editor filled with the working version (a published article's next draft)."""
        current = article.working_version or article
        return cls(initial={
            "title": current.title, "body": current.body, "workaround": current.workaround,
            "keywords": current.keywords, "type": article.type,
            "problem_reference": article.problem_reference, "language": article.language,
            "visibility": article.visibility, "category": article.category,
            "service": article.service, "reviewer": article.reviewer,
            "configuration_items": list(article.configuration_items.all())})

    def data_for_service(self) -> tuple[dict, str]:
        """The cleaned fields as the services take them, and the version note."""
        data = dict(self.cleaned_data)
        data["configuration_items"] = list(data["configuration_items"])
        return data, data.pop("note", "")


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), required=False, max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 3}))


class FeedbackForm(forms.Form):
    kind = forms.ChoiceField(choices=FeedbackKind.choices)
    incident = forms.CharField(required=False, max_length=20)
    comment = forms.CharField(required=False, max_length=1000)


class LinkForm(forms.Form):
    """Link an article to the incident by its number."""

    article = forms.CharField(label=_("Article number"), max_length=20,
                              widget=forms.TextInput(attrs={"placeholder": "KB000123"}))
    resolved_by = forms.BooleanField(label=_("This solved it"), required=False)


class UploadForm(forms.Form):
    file = forms.FileField(label=_("File"))
