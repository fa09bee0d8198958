"""Pages of the dashboards part (included by web/urls.py under the app namespace "web")."""

from django.urls import path

from .views import dashboards, dashboards_process

urlpatterns = [
    path("dashboards/", dashboards.home, name="dashboards"),
    path("dashboards/operations/", dashboards.operations, name="dashboard_operations"),
    path("dashboards/groups/", dashboards.group, name="dashboard_groups"),
    path("dashboards/groups/<str:code>/", dashboards.group, name="dashboard_group"),
    path("dashboards/process/", dashboards_process.process, name="dashboard_process"),
]
