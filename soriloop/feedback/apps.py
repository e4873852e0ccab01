from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "soriloop.feedback"
    label = "feedback"
