from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "soriloop.core"
    label = "core"
