"""Pages of the major part (included by web/urls.py under the app namespace "web")."""

from django.urls import path

from .views import major

urlpatterns = [
    path("major/", major.major_list, name="major_list"),
    path("major/<str:number>/", major.major_detail, name="major_detail"),
    path("major/<str:number>/updates/", major.major_update, name="major_update"),
    path("major/<str:number>/declare/", major.major_promote, name="major_declare"),
    path("major/<str:number>/reject/", major.major_reject, name="major_reject"),
    path("major/<str:number>/children/", major.major_children, name="major_children"),
    path("major/<str:number>/children/<str:child>/unlink/", major.major_unlink,
         name="major_unlink"),
    path("incidents/<str:number>/major/propose/", major.major_propose, name="major_propose"),
    path("incidents/<str:number>/affected/", major.major_affected, name="major_affected"),
    path("settings/major/", major.criteria_settings, name="settings-major"),
]
