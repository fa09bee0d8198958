"""Pages of the catalog part (included by web/urls.py under the app namespace "web")."""

from django.urls import path

from .views import catalog, settings_catalog

urlpatterns = [
    path("catalog/", catalog.index, name="catalog"),
    path("catalog/<slug:code>/", catalog.order, name="catalog_order"),
    path("work/requests/new/", catalog.desk_order, name="desk_request"),
    path("approvals/", catalog.approvals, name="approvals"),
    path("approvals/<str:number>/<slug:decision>/", catalog.decide, name="approval_decide"),
    path("settings/catalog/", settings_catalog.catalog_types, name="settings-catalog"),
    path("settings/catalog/new/", settings_catalog.catalog_type_edit,
         name="settings-catalog-new"),
    path("settings/catalog/preview/", settings_catalog.catalog_preview,
         name="settings-catalog-preview"),
    path("settings/catalog/<slug:code>/", settings_catalog.catalog_type_edit,
         name="settings-catalog-edit"),
    path("settings/catalog/<slug:code>/active/", settings_catalog.catalog_type_active,
         name="settings-catalog-active"),
    path("settings/catalog/<slug:code>/fields/new/", settings_catalog.catalog_field_edit,
         name="settings-catalog-field-new"),
    path("settings/catalog/<slug:code>/fields/<int:pk>/", settings_catalog.catalog_field_edit,
         name="settings-catalog-field-edit"),
    path("settings/catalog/<slug:code>/fields/<int:pk>/<slug:action>/",
         settings_catalog.catalog_field_action, name="settings-catalog-field-action"),
]
