"""Pages of the collab part (included by web/urls.py under the app namespace "web").

They come before `work/<slug:queue>/`, so /work/tasks/ is "My tasks", not a queue."""

from django.urls import path

from .views import collab

urlpatterns = [
    path("work/tasks/", collab.my_tasks, name="my_tasks"),
    path("work/tasks/<int:pk>/", collab.task_detail, name="task"),
    path("work/tasks/<int:pk>/edit/", collab.task_edit, name="task_edit"),
    path("work/tasks/<int:pk>/<slug:action>/", collab.task_action, name="task_action"),
    path("incidents/<str:number>/tasks/", collab.task_create, name="task_create"),
    path("handovers/", collab.handovers, name="handovers"),
    path("handovers/new/", collab.handover_new, name="handover_new"),
    path("handovers/<int:pk>/", collab.handover_detail, name="handover"),
    path("handovers/<int:pk>/acknowledge/", collab.handover_acknowledge,
         name="handover_acknowledge"),
]
