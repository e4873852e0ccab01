from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "soriloop.insights"
    label = "insights"

    def ready(self) -> None:
        from soriloop.core.changes import consumer_register
        from soriloop.insights.rollups import ROLLUP_CHANGES, rollups_consume

        consumer_register(name="rollups", types=ROLLUP_CHANGES, handle=rollups_consume)
