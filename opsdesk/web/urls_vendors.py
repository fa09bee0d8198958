"""Pages of the vendors part (included by web/urls.py under the app namespace "web")."""

urlpatterns = []
