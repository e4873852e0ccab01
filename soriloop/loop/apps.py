from django.apps import AppConfig


class LoopConfig(AppConfig):
    name = "soriloop.loop"
    label = "loop"
