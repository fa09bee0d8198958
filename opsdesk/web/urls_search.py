"""Pages of the search part (included by web/urls.py under the app namespace "web")."""

from django.urls import path

from .views import search

urlpatterns = [
    path("search/", search.search_page, name="search"),
]
