from django.apps import AppConfig


class AnalysisConfig(AppConfig):
    name = "soriloop.analysis"
    label = "analysis"

    def ready(self) -> None:
        from soriloop.analysis.services import enrichments_forget_purged
        from soriloop.core.changes import consumer_register

        consumer_register(
            name="analysis-forget", types=["feedback.purged"], handle=enrichments_forget_purged
        )
