from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "soriloop.customers"
    label = "customers"

    def ready(self) -> None:
        from soriloop.customers.hooks import CustomerSource, customer_source_register
        from soriloop.customers.selectors import events_export, events_signals, events_timeline

        customer_source_register(
            CustomerSource(
                name="events",
                timeline=events_timeline,
                export=events_export,
                signals=events_signals,
            )
        )
