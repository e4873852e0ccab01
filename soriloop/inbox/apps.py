from django.apps import AppConfig


class InboxConfig(AppConfig):
    name = "soriloop.inbox"
    label = "inbox"
