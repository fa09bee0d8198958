"""Pages of the problems part (included by web/urls.py under the app namespace "web")."""

from django.urls import path

from .views import problems

urlpatterns = [
    path("problems/", problems.problem_list, name="problems"),
    path("problems/new/", problems.problem_new, name="problem_new"),
    path("problems/candidates/", problems.candidates, name="problem_candidates"),
    path("problems/candidates/<int:pk>/raise/", problems.candidate_raise,
         name="problem_candidate_raise"),
    path("problems/candidates/<int:pk>/dismiss/", problems.candidate_dismiss,
         name="problem_candidate_dismiss"),
    path("problems/<str:number>/", problems.problem_detail, name="problem"),
    path("problems/<str:number>/edit/", problems.problem_edit, name="problem_edit"),
    path("problems/<str:number>/actions/<slug:action>/", problems.problem_action,
         name="problem_action"),
    path("problems/<str:number>/incidents/", problems.problem_link, name="problem_link"),
    path("problems/<str:number>/incidents/<str:incident_number>/unlink/",
         problems.problem_unlink, name="problem_unlink"),
    path("settings/problems/", problems.settings_rule, name="settings-problems"),
]
