"""Pages of the reviews part (included by web/urls.py under the app namespace "web")."""

from django.urls import path

from .views import reviews

urlpatterns = [
    path("reviews/", reviews.review_list, name="reviews"),
    path("reviews/<str:number>.md", reviews.review_markdown, name="review_markdown"),
    path("reviews/<str:number>.pdf", reviews.review_pdf, name="review_pdf"),
    path("reviews/<str:number>/", reviews.review, name="review"),
    path("reviews/<str:number>/start/", reviews.review_start, name="review_start"),
    path("reviews/<str:number>/edit/", reviews.review_edit, name="review_edit"),
    path("reviews/<str:number>/submit/", reviews.review_submit, name="review_submit"),
    path("reviews/<str:number>/approve/", reviews.review_approve, name="review_approve"),
    path("reviews/<str:number>/return/", reviews.review_return, name="review_return"),
    path("reviews/<str:number>/print/", reviews.review_print, name="review_print"),
    path("reviews/<str:number>/timeline/", reviews.line_add, name="review_line_add"),
    path("reviews/<str:number>/timeline/refresh/", reviews.timeline_refresh,
         name="review_timeline_refresh"),
    path("reviews/<str:number>/timeline/<int:pk>/", reviews.line_edit, name="review_line"),
    path("reviews/<str:number>/actions/", reviews.action_add, name="review_action_add"),
    path("reviews/<str:number>/actions/<int:pk>/", reviews.action_change,
         name="review_action"),
]
