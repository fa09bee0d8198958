"""Pages of the reports part (included by web/urls.py under the app namespace "web")."""

from django.urls import path  # noqa: F401

urlpatterns = []
