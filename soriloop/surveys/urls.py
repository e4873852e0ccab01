from django.urls import path

from soriloop.surveys import respond, unsubscribe

app_name = "surveys"

urlpatterns = [
    path("s/u/<str:token>/", unsubscribe.unsubscribe_page, name="unsubscribe"),
    path("s/p/<str:key>/", respond.survey_page, name="public"),
    path("s/p/<str:key>/answers", respond.survey_answers, name="public_answers"),
    path("s/<str:token>/", respond.survey_page, name="invitation"),
    path("s/<str:token>/answers", respond.survey_answers, name="invitation_answers"),
]
