"""Pages of the vendors part (included by web/urls.py under the app namespace "web")."""

from django.urls import path

from .views import vendors

urlpatterns = [
    path("vendors/", vendors.vendor_list, name="vendors"),
    path("vendors/new/", vendors.vendor_new, name="vendor_new"),
    path("vendors/report/", vendors.vendor_report, name="vendor_report"),
    path("vendors/<int:pk>/", vendors.vendor_detail, name="vendor"),
    path("vendors/<int:pk>/edit/", vendors.vendor_edit, name="vendor_edit"),
    path("vendors/<int:pk>/contacts/", vendors.contact_save, name="vendor_contact_new"),
    path("vendors/<int:pk>/contacts/<int:contact_pk>/", vendors.contact_save,
         name="vendor_contact_edit"),
    path("vendors/<int:pk>/contracts/new/", vendors.contract_edit, name="vendor_contract_new"),
    path("vendors/<int:pk>/contracts/<int:contract_pk>/", vendors.contract_edit,
         name="vendor_contract_edit"),
    path("incidents/<str:number>/vendor/", vendors.contact, name="vendor_contact"),
    path("incidents/<str:number>/vendor/<int:pk>/<slug:kind>/", vendors.record,
         name="vendor_record"),
]
