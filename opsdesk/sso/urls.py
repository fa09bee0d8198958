"""Pages of opsdesk.sso: /sso/login/ starts a sign-in, /sso/callback/ is the redirect URI,
/sso/logout/ goes on to the provider's sign-out, /sso/backchannel-logout/ receives the
provider's logout tokens."""

from django.urls import path

from . import views

app_name = "sso"

urlpatterns = [
    path("login/", views.sso_login, name="login"),
    path("callback/", views.sso_callback, name="callback"),
    path("logout/", views.sso_logout, name="logout"),
    path("backchannel-logout/", views.sso_backchannel_logout, name="backchannel_logout"),
]
