from django.apps import AppConfig


class AnalysisConfig(AppConfig):
    name = "soriloop.analysis"
    label = "analysis"

    def ready(self) -> None:
        from soriloop.accounts.hooks import workspace_setup_register
        from soriloop.analysis.taxonomy import topics_seed

        workspace_setup_register(topics_seed)  # a new workspace begins with the starter topics
