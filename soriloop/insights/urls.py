from django.urls import path

from soriloop.insights import views

app_name = "insights"

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/live/", views.live, name="live"),
    path("dashboard/keywords/", views.keywords, name="keywords"),
    path("dashboard/top-topics/", views.top_topics, name="top_topics"),
    path("dashboard/topics/", views.topics, name="topics"),
    path("dashboard/compare/", views.compare, name="compare"),
    path("dashboard/report/", views.report, name="report"),
    path("dashboard/report.pdf", views.report_pdf, name="report_pdf"),
]
