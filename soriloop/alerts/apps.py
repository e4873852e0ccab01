from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "soriloop.alerts"
    label = "alerts"

    def ready(self) -> None:
        from soriloop.alerts.customer_data import SOURCE
        from soriloop.alerts.payloads import EVENTS
        from soriloop.alerts.rules import RULE_EVENTS, alert_rules_consume
        from soriloop.alerts.services import webhooks_consume
        from soriloop.core.changes import consumer_register
        from soriloop.customers.hooks import customer_source_register

        consumer_register(name="webhooks", types=EVENTS, handle=webhooks_consume)
        consumer_register(name="alert-rules", types=RULE_EVENTS, handle=alert_rules_consume)
        customer_source_register(SOURCE)  # webhook payloads of erased records
