"""Pages of the search part (included by web/urls.py under the app namespace "web")."""

urlpatterns = []
