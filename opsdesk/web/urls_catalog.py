"""Pages of the catalog part (included by web/urls.py under the app namespace "web")."""

urlpatterns = []
