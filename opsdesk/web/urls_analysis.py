"""Pages of the analysis part (included by web/urls.py under the app namespace "web")."""

from django.urls import path

from .views import analysis

urlpatterns = [
    path("analysis/", analysis.page, name="analysis"),
    path("analysis/records/", analysis.records, name="analysis_records"),
    path("analysis/incidents/<str:number>/", analysis.incident, name="analysis_incident"),
]
