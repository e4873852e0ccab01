from django.urls import path

from soriloop.insights import views

app_name = "insights"

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/live/", views.live, name="live"),
    path("dashboard/topics/", views.topics, name="topics"),
    path("dashboard/compare/", views.compare, name="compare"),
]
