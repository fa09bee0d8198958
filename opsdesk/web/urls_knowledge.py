"""Pages of the knowledge part (included by web/urls.py under the app namespace "web")."""

urlpatterns = []
