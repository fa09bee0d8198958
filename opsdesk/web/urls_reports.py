"""Pages of the reports part (included by web/urls.py under the app namespace "web")."""

from django.urls import path, re_path

from .views import reports

FMT = r"(?P<fmt>csv|xlsx)"
MONTH = r"(?P<month>\d{4}-\d{2})"

urlpatterns = [
    path("reports/", reports.index, name="reports"),
    re_path(rf"^reports/export/incidents\.{FMT}$", reports.export_incidents,
            name="export_incidents"),
    re_path(rf"^reports/export/kpis\.{FMT}$", reports.export_kpis, name="export_kpis"),
    re_path(rf"^reports/export/kpis/(?P<code>[-\w]+)/trend\.{FMT}$", reports.export_kpi_trend,
            name="export_kpi_trend"),
    re_path(rf"^reports/export/kpis/(?P<code>[-\w]+)/breakdown\.{FMT}$",
            reports.export_kpi_breakdown, name="export_kpi_breakdown"),
    re_path(rf"^reports/export/analysis\.{FMT}$", reports.export_analysis,
            name="export_analysis"),
    re_path(rf"^reports/monthly/{MONTH}/$", reports.monthly_print, name="report_monthly"),
    re_path(rf"^reports/monthly/{MONTH}\.pdf$", reports.monthly_pdf, name="report_monthly_pdf"),
    path("reports/schedules/", reports.schedule_list, name="report_schedules"),
    path("reports/schedules/new/", reports.schedule_new, name="report_schedule_new"),
    path("reports/schedules/<int:pk>/", reports.schedule_detail, name="report_schedule"),
    path("reports/schedules/<int:pk>/send/", reports.schedule_send, name="report_schedule_send"),
    path("reports/schedules/<int:pk>/delete/", reports.schedule_delete,
         name="report_schedule_delete"),
]
