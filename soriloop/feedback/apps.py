from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "soriloop.feedback"
    label = "feedback"

    def ready(self) -> None:
        from soriloop.core.changes import consumer_register
        from soriloop.customers.hooks import customer_source_register
        from soriloop.feedback.customer_data import SOURCE
        from soriloop.feedback.tasks import feedback_acknowledgements_queue

        consumer_register(
            name="acknowledgements",
            types=["feedback.created"],
            handle=feedback_acknowledgements_queue,
        )
        customer_source_register(SOURCE)  # the customer's records: timeline, export, erasure
