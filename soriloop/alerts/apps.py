from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "soriloop.alerts"
    label = "alerts"
