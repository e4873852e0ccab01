from django.apps import AppConfig


class SurveysConfig(AppConfig):
    name = "soriloop.surveys"
    label = "surveys"
