from django.apps import AppConfig


class SurveysConfig(AppConfig):
    name = "soriloop.surveys"
    label = "surveys"

    def ready(self) -> None:
        from soriloop.core.changes import consumer_register
        from soriloop.customers.hooks import customer_source_register
        from soriloop.surveys.customer_data import SOURCE
        from soriloop.surveys.triggers import triggers_consume

        consumer_register(name="survey-triggers", types=["customer.event"], handle=triggers_consume)
        customer_source_register(SOURCE)  # answers on the timeline; invitations erased
