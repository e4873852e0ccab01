from django.apps import AppConfig


class AnalysisConfig(AppConfig):
    name = "soriloop.analysis"
    label = "analysis"
