"""Pages of the knowledge part (included by web/urls.py under the app namespace "web")."""

from django.urls import path

from .views import knowledge

urlpatterns = [
    path("kb/", knowledge.kb_list, name="kb"),
    path("kb/new/", knowledge.kb_new, name="kb_new"),
    path("kb/review/", knowledge.kb_review, name="kb_review"),
    path("kb/preview/", knowledge.kb_preview, name="kb_preview"),
    path("kb/<str:number>/", knowledge.kb_article, name="kb_article"),
    path("kb/<str:number>/edit/", knowledge.kb_edit, name="kb_edit"),
    path("kb/<str:number>/versions/", knowledge.kb_versions, name="kb_versions"),
    path("kb/<str:number>/files/", knowledge.kb_upload, name="kb_upload"),
    path("kb/<str:number>/files/<int:attachment_id>/", knowledge.kb_file, name="kb_file"),
    path("kb/<str:number>/feedback/", knowledge.kb_feedback, name="kb_feedback"),
    path("kb/<str:number>/do/<slug:action>/", knowledge.kb_action, name="kb_action"),
    path("incidents/<str:incident_number>/kb/link/", knowledge.incident_link,
         name="kb_incident_link"),
    path("incidents/<str:incident_number>/kb/draft/", knowledge.incident_article_draft,
         name="kb_incident_draft"),
    path("help/", knowledge.help_list, name="help"),
    path("help/<str:number>/", knowledge.help_article, name="help_article"),
    path("help/<str:number>/solved/", knowledge.help_solved, name="help_solved"),
]
