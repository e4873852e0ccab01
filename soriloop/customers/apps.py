from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "soriloop.customers"
    label = "customers"

    def ready(self) -> None:
        from soriloop.core.changes import consumer_register
        from soriloop.customers.hooks import CustomerSource, customer_source_register
        from soriloop.customers.segments import (
            SEGMENT_CHANGES,
            segments_consume,
            segments_export,
            segments_timeline,
        )
        from soriloop.customers.selectors import events_export, events_signals, events_timeline

        customer_source_register(
            CustomerSource(
                name="events",
                timeline=events_timeline,
                export=events_export,
                signals=events_signals,
            )
        )
        customer_source_register(
            CustomerSource(name="segments", timeline=segments_timeline, export=segments_export)
        )
        consumer_register(name="segments", types=SEGMENT_CHANGES, handle=segments_consume)
