"""Pages of the vendors part (included by web/urls.py under the app namespace "web")."""

from django.urls import path

from .views import vendors

urlpatterns = [
    path("vendors/", vendors.vendor_list, name="vendors"),
    path("vendors/report/", vendors.vendor_report, name="vendor_report"),
    path("vendors/<int:pk>/", vendors.vendor_detail, name="vendor"),
    path("incidents/<str:number>/vendor/", vendors.contact, name="vendor_contact"),
    path("incidents/<str:number>/vendor/<int:pk>/<slug:kind>/", vendors.record,
         name="vendor_record"),
]
