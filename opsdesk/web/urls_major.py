"""Pages of the major part (included by web/urls.py under the app namespace "web")."""

urlpatterns = []
