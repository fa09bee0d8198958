"""Pages of the measures part (included by web/urls.py under the app namespace "web")."""

from django.urls import path

from .views import measures

urlpatterns = [
    path("measures/", measures.index, name="measures"),
    path("measures/<slug:code>/", measures.detail, name="measure"),
    path("measures/<slug:code>/target/", measures.target, name="measure_target"),
]
