"""Browser pages: sign-in, the portal, the workspaces and the incident page."""

from django.contrib.auth import views as auth_views
from django.urls import path

from .views import home, incidents, portal, tokens, work
from .views import desk, lookups

app_name = "web"

urlpatterns = [
    path("", home.home, name="home"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("portal/", portal.my_incidents, name="portal"),
    path("portal/report/", portal.report, name="report"),
    path("work/", work.queue, name="work"),
    path("work/log/", desk.log, name="desk_log"),
    path("work/log/priority/", desk.priority, name="desk_priority"),
    path("work/log/similar/", desk.similar, name="desk_similar"),
    path("work/log/requester/", desk.requester, name="desk_requester"),
    path("work/lookup/people/", lookups.people, name="lookup_people"),
    path("work/lookup/members/", lookups.members, name="lookup_members"),
    path("work/<slug:queue>/", work.queue, name="queue"),
    path("work/<slug:queue>/bulk/", work.bulk, name="queue_bulk"),
    path("work/<slug:queue>/views/", work.view_save, name="view_save"),
    path("work/views/<int:view_id>/delete/", work.view_delete, name="view_delete"),
    path("incidents/<str:number>/", incidents.detail, name="incident"),
    path("incidents/<str:number>/actions/<slug:action>/", incidents.action, name="action"),
    path("incidents/<str:number>/comments/", incidents.comment, name="comment"),
    path("incidents/<str:number>/edit/", incidents.edit, name="edit"),
    path("incidents/<str:number>/people/<slug:field>/", incidents.people, name="people"),
    path("incidents/<str:number>/attachments/<int:attachment_id>/", incidents.download,
         name="attachment"),
    path("tokens/", tokens.tokens, name="tokens"),
]
