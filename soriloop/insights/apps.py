from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "soriloop.insights"
    label = "insights"
