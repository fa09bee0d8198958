"""Pages of the catalog part (included by web/urls.py under the app namespace "web")."""

from django.urls import path

from .views import catalog

urlpatterns = [
    path("catalog/", catalog.index, name="catalog"),
    path("catalog/<slug:code>/", catalog.order, name="catalog_order"),
    path("work/requests/new/", catalog.desk_order, name="desk_request"),
    path("approvals/", catalog.approvals, name="approvals"),
    path("approvals/<str:number>/<slug:decision>/", catalog.decide, name="approval_decide"),
]
