"""Pages of opsdesk.mfa: a person's own multi-factor page (linked from the profile), the verify
step after signing in, and the administrator's policy page."""

from django.urls import path

from . import views, views_settings

app_name = "mfa"

urlpatterns = [
    path("", views.index, name="index"),
    path("setup/", views.setup, name="setup"),
    path("verify/", views.verify, name="verify"),
    path("recovery/", views.recovery, name="recovery"),
    path("recovery/download/", views.recovery_download, name="recovery-download"),
    path("recovery/done/", views.recovery_done, name="recovery-done"),
    path("recovery/new/", views.recovery_regenerate, name="recovery-new"),
    path("disable/", views.disable, name="disable"),
    path("settings/", views_settings.policy, name="settings"),
    path("settings/users/<int:pk>/reset/", views_settings.user_reset, name="user-reset"),
]
