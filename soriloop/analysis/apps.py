from django.apps import AppConfig


class AnalysisConfig(AppConfig):
    name = "soriloop.analysis"
    label = "analysis"

    def ready(self) -> None:
        from soriloop.accounts.hooks import workspace_setup_register
        from soriloop.analysis.customer_data import SOURCE
        from soriloop.analysis.services import enrichments_anonymise, enrichments_forget_purged
        from soriloop.analysis.taxonomy import topics_seed
        from soriloop.core.changes import consumer_register
        from soriloop.customers.hooks import customer_source_register

        workspace_setup_register(topics_seed)  # a new workspace begins with the starter topics
        consumer_register(
            name="analysis-forget", types=["feedback.purged"], handle=enrichments_forget_purged
        )
        consumer_register(
            name="analysis-anonymise", types=["feedback.anonymised"], handle=enrichments_anonymise
        )
        customer_source_register(SOURCE)  # sentiment signals; derived data erased
