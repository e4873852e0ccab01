from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "soriloop.accounts"
    label = "accounts"
