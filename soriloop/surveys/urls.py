from django.urls import path

from soriloop.surveys import respond, unsubscribe, views

app_name = "surveys"

urlpatterns = [
    path("s/u/<str:token>/", unsubscribe.unsubscribe_page, name="unsubscribe"),
    path("surveys/", views.survey_list, name="list"),
    path("surveys/new", views.survey_new, name="new"),
    path("surveys/<int:survey_id>/", views.survey_builder, name="builder"),
    path("surveys/<int:survey_id>/publish", views.survey_publish, name="publish"),
    path("surveys/<int:survey_id>/close", views.survey_close, name="close"),
    path("surveys/<int:survey_id>/invite", views.survey_invite, name="invite"),
    path("surveys/<int:survey_id>/qr.svg", views.survey_qr, name="qr"),
    path("surveys/<int:survey_id>/results/", views.survey_results, name="results"),
    path("surveys/<int:survey_id>/sending/", views.survey_sending, name="sending"),
    path("surveys/<int:survey_id>/campaigns", views.survey_campaign_new, name="campaign_new"),
    path(
        "surveys/<int:survey_id>/campaigns/<int:campaign_id>/cancel",
        views.survey_campaign_cancel,
        name="campaign_cancel",
    ),
    path("surveys/<int:survey_id>/triggers", views.survey_trigger_new, name="trigger_new"),
    path(
        "surveys/<int:survey_id>/triggers/<int:trigger_id>/stop",
        views.survey_trigger_stop,
        name="trigger_stop",
    ),
    path("surveys/<int:survey_id>/results/export.csv", views.survey_export_csv, name="export_csv"),
    path(
        "surveys/<int:survey_id>/results/export.xlsx",
        views.survey_export_xlsx,
        name="export_xlsx",
    ),
    path("s/p/<str:key>/", respond.survey_page, name="public"),
    path("s/p/<str:key>/answers", respond.survey_answers, name="public_answers"),
    path("s/<str:token>/", respond.survey_page, name="invitation"),
    path("s/<str:token>/answers", respond.survey_answers, name="invitation_answers"),
]
