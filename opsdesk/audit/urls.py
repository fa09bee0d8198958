"""Pages of opsdesk.audit."""

app_name = "audit"

urlpatterns: list = []
