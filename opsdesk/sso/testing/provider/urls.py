"""The provider's URLs: the issuer is <origin>/o, its login page, and the test controls."""

from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import control

urlpatterns = [
    path("o/", include("oauth2_provider.urls", namespace="oauth2_provider")),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("control/user", control.user_set),
    path("control/client", control.client_set),
    path("control/tamper", control.tamper_set),
]
