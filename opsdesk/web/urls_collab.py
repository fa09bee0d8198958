"""Pages of the collab part (included by web/urls.py under the app namespace "web")."""

urlpatterns = []
