"""Pages of opsdesk.mfa."""

app_name = "mfa"

urlpatterns: list = []
