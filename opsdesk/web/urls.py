"""Browser pages: sign-in, the portal, the workspaces and the incident page."""

from django.contrib.auth import views as auth_views
from django.urls import path

from .views import home, incidents, portal, tokens, work
from .views import desk, lookups
from .views import manage, profile, settings_categories, settings_groups, settings_pages
from .views import settings_calendars, settings_sla
from .views import respond

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
    path("manage/", manage.overview, name="manage"),
    path("profile/", profile.profile, name="profile"),
    path("respond/<str:token>/", respond.respond, name="respond"),
    path("settings/", settings_pages.index, name="settings"),
    path("settings/matrix/", settings_pages.matrix, name="settings-matrix"),
    path("settings/routing/", settings_pages.routing, name="settings-routing"),
    path("settings/routing/new/", settings_pages.routing_edit, name="settings-routing-new"),
    path("settings/routing/<int:pk>/", settings_pages.routing_edit, name="settings-routing-edit"),
    path("settings/groups/", settings_groups.groups, name="settings-groups"),
    path("settings/groups/new/", settings_groups.group_edit, name="settings-group-new"),
    path("settings/groups/<int:pk>/", settings_groups.group_edit, name="settings-group-edit"),
    path("settings/groups/<int:pk>/active/", settings_groups.group_active,
         name="settings-group-active"),
    path("settings/categories/", settings_categories.categories, name="settings-categories"),
    path("settings/categories/<int:pk>/", settings_categories.category_edit,
         name="settings-category-edit"),
    path("settings/categories/<int:pk>/active/", settings_categories.category_active,
         name="settings-category-active"),
    path("settings/calendars/", settings_calendars.calendars, name="settings-calendars"),
    path("settings/calendars/new/", settings_calendars.calendar_new,
         name="settings-calendar-new"),
    path("settings/calendars/<str:code>/", settings_calendars.calendar_detail,
         name="settings-calendar"),
    path("settings/calendars/<str:code>/hours/", settings_calendars.calendar_hours,
         name="settings-calendar-hours"),
    path("settings/calendars/<str:code>/days/", settings_calendars.calendar_day_add,
         name="settings-calendar-day-add"),
    path("settings/calendars/<str:code>/days/<str:day>/", settings_calendars.calendar_day_edit,
         name="settings-calendar-day"),
    path("settings/calendars/<str:code>/days/<str:day>/delete/",
         settings_calendars.calendar_day_remove, name="settings-calendar-day-delete"),
    path("settings/calendars/<str:code>/import/", settings_calendars.calendar_import,
         name="settings-calendar-import"),
    path("settings/sla/", settings_sla.sla_policies, name="settings-sla"),
    path("settings/sla/new/", settings_sla.sla_policy_edit, name="settings-sla-new"),
    path("settings/sla/<str:code>/", settings_sla.sla_policy_edit, name="settings-sla-edit"),
    path("settings/sla/<str:code>/active/", settings_sla.sla_policy_active,
         name="settings-sla-active"),
    path("incidents/<str:number>/escalate/", incidents.escalate, name="escalate"),
]
