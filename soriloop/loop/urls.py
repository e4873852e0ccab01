from django.urls import path

from soriloop.loop import views

app_name = "loop"

urlpatterns = [
    path("cases/", views.cases_page, name="cases"),
    path("cases/metrics/", views.loop_metrics_page, name="metrics"),
    path("cases/open/", views.case_open_page, name="case_open"),
    path("cases/<int:case_id>/", views.case_page, name="case"),
]
