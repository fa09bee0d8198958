"""Pages of the surveys part (included by web/urls.py under the app namespace "web").

`survey/<token>/…` is answered without signing in (the mail's links); the rest needs it."""

from django.urls import path

from .views import surveys

urlpatterns = [
    path("survey/<str:token>/", surveys.answer, name="survey_answer"),
    path("survey/<str:token>/<int:score>/", surveys.score, name="survey_score"),
    path("portal/surveys/<str:number>/", surveys.portal_survey, name="portal_survey"),
    path("surveys/", surveys.results, name="surveys"),
    path("surveys/follow-ups/", surveys.follow_ups, name="survey_follow_ups"),
    path("surveys/follow-ups/<int:pk>/", surveys.follow_up, name="survey_follow_up"),
    path("surveys/follow-ups/<int:pk>/take/", surveys.follow_up_take,
         name="survey_follow_up_take"),
    path("surveys/follow-ups/<int:pk>/done/", surveys.follow_up_done,
         name="survey_follow_up_done"),
    path("settings/surveys/", surveys.settings_page, name="settings-surveys"),
    path("settings/surveys/questions/new/", surveys.question_edit,
         name="settings-survey-question-new"),
    path("settings/surveys/questions/<int:pk>/", surveys.question_edit,
         name="settings-survey-question"),
]
