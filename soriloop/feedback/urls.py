from django.urls import path

from soriloop.feedback import views, widget

app_name = "feedback"

urlpatterns = [
    path("inbox/new/", views.manual_entry, name="manual"),
    path("inbox/imports/", views.imports, name="imports"),
    path("inbox/imports/<int:job_id>/", views.import_detail, name="import_detail"),
    path("settings/channels/", views.channels, name="channels"),
]

public_urlpatterns = [
    path("widget/<str:key>/feedback", widget.widget_submit, name="widget_submit"),
    path("f/<str:key>/", widget.hosted_page, name="hosted"),
    path("f/<str:key>/qr.svg", widget.hosted_qr, name="hosted_qr"),
]
urlpatterns += public_urlpatterns
