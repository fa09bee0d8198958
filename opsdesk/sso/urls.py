"""Pages of opsdesk.sso."""

app_name = "sso"

urlpatterns: list = []
