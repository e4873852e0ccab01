from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "soriloop.customers"
    label = "customers"
