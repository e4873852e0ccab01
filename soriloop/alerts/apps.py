from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "soriloop.alerts"
    label = "alerts"

    def ready(self) -> None:
        from soriloop.alerts.payloads import EVENTS
        from soriloop.alerts.services import webhooks_consume
        from soriloop.core.changes import consumer_register

        consumer_register(name="webhooks", types=EVENTS, handle=webhooks_consume)
