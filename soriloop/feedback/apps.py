from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "soriloop.feedback"
    label = "feedback"

    def ready(self) -> None:
        from soriloop.core.changes import consumer_register
        from soriloop.feedback.tasks import feedback_acknowledgements_queue

        consumer_register(
            name="acknowledgements",
            types=["feedback.created"],
            handle=feedback_acknowledgements_queue,
        )
