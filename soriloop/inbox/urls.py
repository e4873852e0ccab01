from django.urls import path

from soriloop.inbox import views

app_name = "inbox"

urlpatterns = [
    path("", views.home, name="home"),
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/export.csv", views.export_csv, name="export_csv"),
    path("inbox/export.xlsx", views.export_xlsx, name="export_xlsx"),
    path("inbox/<int:feedback_id>/", views.record, name="record"),
    path("inbox/<int:feedback_id>/raw.eml", views.record_raw, name="record_raw"),
    path("inbox/<int:feedback_id>/delete/", views.record_delete, name="record_delete"),
]
