"""Pages of the problems part (included by web/urls.py under the app namespace "web")."""

urlpatterns = []
