"""URL map: the REST API under /api/v1/, the admin, language switching."""

from django.urls import include, path

from opsdesk.api.v1 import api as api_v1
from opsdesk.core.admin_site import admin_site

urlpatterns = [
    path("api/v1/", api_v1.urls),
    path("admin/", admin_site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("sso/", include("opsdesk.sso.urls")),
    path("mfa/", include("opsdesk.mfa.urls")),
    path("audit/", include("opsdesk.audit.urls")),
    path("", include("opsdesk.web.urls")),
]

handler403 = "opsdesk.web.views.errors.forbidden"
handler404 = "opsdesk.web.views.errors.not_found"
handler500 = "opsdesk.web.views.errors.server_error"
