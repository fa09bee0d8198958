"""Pages of the reviews part (included by web/urls.py under the app namespace "web")."""

urlpatterns = []
